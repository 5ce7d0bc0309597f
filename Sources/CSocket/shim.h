#ifndef SWITCHBOARD_CSOCKET_SHIM_H
#define SWITCHBOARD_CSOCKET_SHIM_H
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <time.h>
#include <pthread.h>

// recvmmsg/sendmmsg (batched datagram I/O) are GNU extensions that Swift's Glibc module does
// not import. Declare them here with a layout-identical message header; the asm labels bind
// the declarations to glibc's own symbols.
struct sb_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
int sb_recvmmsg(int fd, struct sb_mmsghdr *vec, unsigned int vlen, int flags, struct timespec *timeout) __asm__("recvmmsg");
int sb_sendmmsg(int fd, struct sb_mmsghdr *vec, unsigned int vlen, int flags) __asm__("sendmmsg");
// Thread names (GNU extension, also left out of Glibc's module).
int sb_pthread_setname_np(pthread_t thread, const char *name) __asm__("pthread_setname_np");
// CPU affinity by thread id (benchmarks pin the media thread away from load generators).
int sb_sched_setaffinity(int tid, unsigned long size, const unsigned long *mask) __asm__("sched_setaffinity");
// Nice value of the calling thread (Linux: PRIO_PROCESS with who 0 is per thread). Background
// writers run below the signalling and media threads on small machines.
int sb_setpriority(int which, unsigned int who, int prio) __asm__("setpriority");
#endif
