/* The loopback device of a network namespace. */
#pragma once

/* Bring `lo` up in the calling thread's network namespace. */
int loopback_up(void);
