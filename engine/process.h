/* Processes by pid, safely: a pid is trusted only together with its start time, and used
 * through a pidfd, so a recycled pid never makes us signal a stranger. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat). */
int process_start_time(pid_t pid, uint64_t *ret);

/* A pidfd for PID if it still is the process that started at START; -ESRCH otherwise. */
int process_pidfd_checked(pid_t pid, uint64_t start);

/* Send SIG through PIDFD. */
int process_signal(int pidfd, int sig);

/* True if the process behind PIDFD has exited. */
int process_has_exited(int pidfd);
