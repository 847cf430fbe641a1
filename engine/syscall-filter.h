/* The default seccomp filter of a container: what Docker's default profile denies, denied. */
#pragma once

struct syscall_filter;

/* Build the filter (in the monitor, before cloning the init, so the init only loads it). */
int syscall_filter_new(struct syscall_filter **ret);
/* Load it into the calling process; needs no_new_privs or CAP_SYS_ADMIN. */
int syscall_filter_load(struct syscall_filter *f);
void syscall_filter_free(struct syscall_filter *f);
