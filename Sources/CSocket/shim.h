#ifndef SWITCHBOARD_CSOCKET_SHIM_H
#define SWITCHBOARD_CSOCKET_SHIM_H
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <time.h>

// recvmmsg/sendmmsg (batched datagram I/O) are GNU extensions that Swift's Glibc module does
// not import. Declare them here with a layout-identical message header; the asm labels bind
// the declarations to glibc's own symbols.
struct sb_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
int sb_recvmmsg(int fd, struct sb_mmsghdr *vec, unsigned int vlen, int flags, struct timespec *timeout) __asm__("recvmmsg");
int sb_sendmmsg(int fd, struct sb_mmsghdr *vec, unsigned int vlen, int flags) __asm__("sendmmsg");
#endif
