/* Resource limits: parsing and the v1/v2 spellings, including the v2 files written into a
 * fake cgroup directory (no root, no cgroup2 mount needed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "check.h"
#include "fileio.h"
#include "resources.h"

static void test_parse(void)
{
	uint64_t v;

	CHECK(resources_parse_memory("64m", &v) == 0 && v == 64ULL << 20);
	CHECK(resources_parse_memory("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(resources_parse_memory("512k", &v) == 0 && v == 512ULL << 10);
	CHECK(resources_parse_memory("1048576", &v) == 0 && v == 1048576);
	CHECK(resources_parse_memory("max", &v) == 0 && v == 0);
	CHECK(resources_parse_memory("0", &v) == -EINVAL);
	CHECK(resources_parse_memory("-5", &v) == -EINVAL);
	CHECK(resources_parse_memory("12x", &v) == -EINVAL);
	CHECK(resources_parse_memory("", &v) == -EINVAL);
	CHECK(resources_parse_memory("99999999999999999999", &v) == -EINVAL);

	CHECK(resources_parse_cpus("1.5", &v) == 0 && v == 1500);
	CHECK(resources_parse_cpus("0.25", &v) == 0 && v == 250);
	CHECK(resources_parse_cpus("2", &v) == 0 && v == 2000);
	CHECK(resources_parse_cpus("0.001", &v) == 0 && v == 1);
	CHECK(resources_parse_cpus("max", &v) == 0 && v == 0);
	CHECK(resources_parse_cpus("0", &v) == -EINVAL);
	CHECK(resources_parse_cpus("1.2345", &v) == -EINVAL);
	CHECK(resources_parse_cpus(".5", &v) == -EINVAL);
	CHECK(resources_parse_cpus("1.", &v) == -EINVAL);

	CHECK(resources_parse_shares("1024", &v) == 0 && v == 1024);
	CHECK(resources_parse_shares("default", &v) == 0 && v == 0);
	CHECK(resources_parse_shares("1", &v) == -EINVAL);
	CHECK(resources_parse_shares("262145", &v) == -EINVAL);

	CHECK(resources_parse_pids("100", &v) == 0 && v == 100);
	CHECK(resources_parse_pids("max", &v) == 0 && v == 0);
	CHECK(resources_parse_pids("0", &v) == -EINVAL);

	CHECK(resources_check_cpuset("0", 2) == 0);
	CHECK(resources_check_cpuset("0-1", 2) == 0);
	CHECK(resources_check_cpuset("0,1", 2) == 0);
	CHECK(resources_check_cpuset("2", 2) == -EINVAL);
	CHECK(resources_check_cpuset("1-0", 2) == -EINVAL);
	CHECK(resources_check_cpuset("0,", 2) == -EINVAL);
	CHECK(resources_check_cpuset("a", 2) == -EINVAL);
	CHECK(resources_check_cpuset("", 2) == -EINVAL);

	/* The conversion runc and crun use, at its ends and its default. */
	CHECK(resources_shares_to_weight(2) == 1);
	CHECK(resources_shares_to_weight(262144) == 10000);
	CHECK(resources_shares_to_weight(1024) == 39);
	CHECK(resources_weight_to_shares(1) == 2);
	CHECK(resources_weight_to_shares(10000) == 262144);

	char buf[32];
	CHECK(resources_format_cpus(1500, buf, sizeof(buf)) == 0 && !strcmp(buf, "1.5"));
	CHECK(resources_format_cpus(2000, buf, sizeof(buf)) == 0 && !strcmp(buf, "2"));
	CHECK(resources_format_cpus(0, buf, sizeof(buf)) == 0 && !strcmp(buf, "max"));
	CHECK(resources_format_memory(0, buf, sizeof(buf)) == 0 && !strcmp(buf, "max"));
}

static char *slurp(const char *dir, const char *file)
{
	char path[512];
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (fileio_read_all(path, 4096, &text, NULL) < 0)
		return NULL;
	return text;
}

/* The v2 backend against a directory that looks like a cgroup2 one. */
static void test_v2_files(void)
{
	char tmpl[] = "/tmp/ctrfs-test-cg2-XXXXXX", desc[600], path[512], buf[64];
	char *dir = mkdtemp(tmpl), *t;
	struct cgroup *cg = NULL;

	CHECK(dir != NULL);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	CHECK(fileio_write_atomic(path, "cpuset cpu memory pids\n", 23, false) == 0);
	/* cgroupfs files always exist; the backend writes them, never creates them. */
	static const char *const files[] = {"memory.max", "cpu.max", "cpu.weight", "pids.max",
					    "cpuset.cpus"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		fileio_write_atomic(path, "", 0, false);
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	snprintf(desc, sizeof(desc), "v2:%s", dir);
	CHECK(cgroup_open(desc, &cg) == 0);

	CHECK(cgroup_set_limit(cg, RESOURCE_MEMORY, 64ULL << 20, NULL) == 0);
	CHECK((t = slurp(dir, "memory.max")) && !strcmp(t, "67108864"));
	free(t);
	CHECK(cgroup_get_limit(cg, RESOURCE_MEMORY, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "67108864"));
	CHECK(cgroup_set_limit(cg, RESOURCE_MEMORY, 0, NULL) == 0);
	CHECK((t = slurp(dir, "memory.max")) && !strcmp(t, "max"));
	free(t);
	CHECK(cgroup_get_limit(cg, RESOURCE_MEMORY, buf, sizeof(buf)) == 0 && !strcmp(buf, "max"));

	CHECK(cgroup_set_limit(cg, RESOURCE_CPUS, 1500, NULL) == 0);
	CHECK((t = slurp(dir, "cpu.max")) && !strcmp(t, "150000 100000"));
	free(t);
	CHECK(cgroup_get_limit(cg, RESOURCE_CPUS, buf, sizeof(buf)) == 0 && !strcmp(buf, "1.5"));
	CHECK(cgroup_set_limit(cg, RESOURCE_CPUS, 0, NULL) == 0);
	CHECK((t = slurp(dir, "cpu.max")) && !strcmp(t, "max 100000"));
	free(t);

	CHECK(cgroup_set_limit(cg, RESOURCE_CPU_SHARES, 1024, NULL) == 0);
	CHECK((t = slurp(dir, "cpu.weight")) && !strcmp(t, "39"));
	free(t);
	CHECK(cgroup_set_limit(cg, RESOURCE_PIDS, 100, NULL) == 0);
	CHECK((t = slurp(dir, "pids.max")) && !strcmp(t, "100"));
	free(t);
	CHECK(cgroup_set_limit(cg, RESOURCE_CPUSET, 0, "0-1") == 0);
	CHECK((t = slurp(dir, "cpuset.cpus")) && !strcmp(t, "0-1"));
	free(t);
	cgroup_free(cg);

	/* A controller the parent did not delegate: refused, unless nothing is asked. */
	CHECK(fileio_write_atomic(path, "memory\n", 7, false) == 0);
	CHECK(cgroup_open(desc, &cg) == 0);
	CHECK(cgroup_set_limit(cg, RESOURCE_PIDS, 10, NULL) == -EOPNOTSUPP);
	CHECK(cgroup_set_limit(cg, RESOURCE_PIDS, 0, NULL) == 0);
	cgroup_free(cg);
	CHECK(fileio_remove_tree(dir) == 0);
}

int main(void)
{
	test_parse();
	test_v2_files();
	return check_done();
}
