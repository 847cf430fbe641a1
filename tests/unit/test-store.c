/* The state store: config and state survive a JSON round trip, on disk too, atomically;
 * corrupt input is refused. Also /proc/PID/cgroup parsing. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "check.h"
#include "fileio.h"
#include "store.h"

static void test_config(void)
{
	char *argv[] = {"sh", "-c", "echo 'x'", NULL};
	char *env[] = {"A=1", "B=two words", NULL};
	struct container_config in = {.name = "web",
				      .image = "busybox",
				      .argv = argv,
				      .env = env,
				      .workdir = "/srv",
				      .hostname = NULL,
				      .uid = 1000,
				      .gid = 100,
				      .mode = 0750,
				      .created = {1700000000, 123}};
	struct container_config out = {0};
	char *text = NULL;

	memset(in.id, 'a', 64);
	CHECK(store_config_to_json(&in, &text) == 0);
	CHECK(store_config_from_json(text, &out) == 0);
	CHECK_STR(out.name, "web");
	CHECK(strlen(out.id) == 64);
	CHECK_STR(out.image, "busybox");
	CHECK(out.argv && !strcmp(out.argv[2], "echo 'x'") && !out.argv[3]);
	CHECK(out.env && !strcmp(out.env[1], "B=two words") && !out.env[2]);
	CHECK_STR(out.workdir, "/srv");
	CHECK(out.hostname == NULL);
	CHECK(out.uid == 1000 && out.gid == 100 && out.mode == 0750);
	CHECK(out.created.tv_sec == 1700000000 && out.created.tv_nsec == 123);
	config_clear(&out);
	free(text);

	/* No cmd means "the image's": it must stay NULL, not become empty. */
	in.argv = NULL;
	CHECK(store_config_to_json(&in, &text) == 0);
	CHECK(store_config_from_json(text, &out) == 0 && out.argv == NULL);
	config_clear(&out);
	free(text);

	CHECK(store_config_from_json("", &out) == -EINVAL);
	CHECK(store_config_from_json("[]", &out) == -EINVAL);
	CHECK(store_config_from_json("{\"name\":\"x\"}", &out) == -EINVAL);
	CHECK(store_config_from_json("{\"name\":\"x\",\"id\":\"y\",\"image\":\"b\",\"env\":[1]}",
				     &out) == -EINVAL);
	CHECK(store_config_from_json("{\"name\":\"x\",\"id\":\"y\",\"image\":\"b\",\"env\":[]}",
				     &out) == 0);
	config_clear(&out);
}

static void test_state(void)
{
	struct container_state in = {.status = STATUS_EXITED,
				     .pid = 42,
				     .pid_start = 9999,
				     .monitor_pid = 41,
				     .monitor_start = 9998,
				     .started = {5, 6},
				     .finished = {7, 8},
				     .has_exitcode = true,
				     .exitcode = 137,
				     .error = "exec \"x\": No such file or directory",
				     .cgroup = "v1:/sys/fs/cgroup/memory/x"};
	struct container_state out;
	char *text = NULL;

	CHECK(store_state_to_json(&in, &text) == 0);
	CHECK(store_state_from_json(text, &out) == 0);
	CHECK(out.status == STATUS_EXITED && out.pid == 42 && out.pid_start == 9999);
	CHECK(out.monitor_pid == 41 && out.monitor_start == 9998);
	CHECK(out.started.tv_sec == 5 && out.finished.tv_nsec == 8);
	CHECK(out.has_exitcode && out.exitcode == 137);
	CHECK_STR(out.error, in.error);
	CHECK_STR(out.cgroup, in.cgroup);
	free(text);

	in.has_exitcode = false;
	in.status = STATUS_RUNNING;
	CHECK(store_state_to_json(&in, &text) == 0);
	CHECK(store_state_from_json(text, &out) == 0 && !out.has_exitcode &&
	      out.status == STATUS_RUNNING);
	free(text);
	CHECK(store_state_from_json("{\"status\":\"flying\"}", &out) == -EINVAL);
	CHECK(store_state_from_json("{\"status\":\"running\",\"pid\":-5}", &out) == -EINVAL);
	CHECK(store_state_from_json("nonsense", &out) == -EINVAL);
}

static void test_disk(void)
{
	char tmpl[] = "/tmp/ctrfs-test-store-XXXXXX";
	char *dir = mkdtemp(tmpl), path[512];
	struct engine_paths p;
	struct container_state st = {.status = STATUS_RUNNING, .pid = 7}, back;
	char *data = NULL;
	size_t len;

	CHECK(dir != NULL);
	snprintf(p.state_dir, sizeof(p.state_dir), "%s/state", dir);
	snprintf(p.data_dir, sizeof(p.data_dir), "%s/data", dir);
	snprintf(path, sizeof(path), "%s/containers/web", p.state_dir);
	CHECK(fileio_mkdir_p(path, 0700) == 0);
	/* A missing state file is a fresh container. */
	CHECK(store_state_load(&p, "web", &back) == 0 && back.status == STATUS_CREATED);
	CHECK(store_state_save(&p, "web", &st) == 0);
	CHECK(store_state_load(&p, "web", &back) == 0 && back.status == STATUS_RUNNING &&
	      back.pid == 7);
	/* Atomic replace leaves no temporary file behind. */
	snprintf(path, sizeof(path), "%s/containers/web/state.json.tmp.%d", p.state_dir,
		 (int) getpid());
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);

	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(fileio_write_atomic(path, "hello", 5, true) == 0);
	CHECK(fileio_read_all(path, 100, &data, &len) == 0 && len == 5 && !strcmp(data, "hello"));
	free(data);
	CHECK(fileio_read_all(path, 3, &data, &len) == -EFBIG);
	CHECK(fileio_remove_tree(dir) == 0);
	CHECK(access(dir, F_OK) < 0);
}

static void test_cgroup_parse(void)
{
	struct cgroup_line l[8];
	const char *v1 = "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n";
	int n = cgroup_parse_proc(v1, l, 8);

	CHECK(n == 4);
	CHECK(l[1].id == 4 && !strcmp(l[1].controllers, "memory") &&
	      !strcmp(l[1].path, "/process_api/abc"));
	CHECK(!strcmp(l[2].controllers, "cpu,cpuacct"));
	CHECK(l[3].id == 0 && l[3].controllers[0] == '\0' && !strcmp(l[3].path, "/"));
	n = cgroup_parse_proc("0::/system.slice/ctrfs.service\n", l, 8);
	CHECK(n == 1 && !strcmp(l[0].path, "/system.slice/ctrfs.service"));
	CHECK(cgroup_parse_proc("garbage\n\n", l, 8) == 0);

	struct cgroup *cg = NULL;
	CHECK(cgroup_open("v2:/sys/fs/cgroup/a/b", &cg) == 0 && cg->n_dirs == 1 &&
	      cg->mode == CGROUP_MODE_V2);
	char desc[128];
	CHECK(cgroup_describe(cg, desc, sizeof(desc)) == 0 &&
	      !strcmp(desc, "v2:/sys/fs/cgroup/a/b"));
	cgroup_free(cg);
	CHECK(cgroup_open("v1:/sys/fs/cgroup/memory/x:/sys/fs/cgroup/pids/x", &cg) == 0 &&
	      cg->n_dirs == 2 && cg->mode == CGROUP_MODE_V1);
	cgroup_free(cg);
	CHECK(cgroup_open("v3:/x", &cg) == -EINVAL);
	CHECK(cgroup_open("v1:relative", &cg) == -EINVAL);
	CHECK(cgroup_open("v1", &cg) == -EINVAL);
}

int main(void)
{
	test_config();
	test_state();
	test_disk();
	test_cgroup_parse();
	return check_done();
}
