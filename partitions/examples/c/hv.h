/*
 * rhyp hypercalls from C: the ABI of docs/hypercalls.md (version 1.0).
 *
 * A hypercall is `HVC #0` with the function number in r0 and its
 * arguments in r1-r3; the hypervisor puts the status in r0 (0 = success,
 * negative = error) and the results in r1-r3, and changes no other
 * register. Buffers are passed as addresses in the partition's own memory.
 */
#ifndef RHYP_HV_H
#define RHYP_HV_H

#include <stdint.h>

/* Function numbers (r0). */
#define HVC_VERSION 0x00u
#define HVC_NOP 0x01u
#define HVC_PARTITION_ID 0x02u
#define HVC_PARTITION_NAME 0x03u
#define HVC_CONSOLE_WRITE 0x04u
#define HVC_YIELD 0x05u
#define HVC_TIME 0x06u
#define HVC_RESTART 0x07u
#define HVC_SHUTDOWN 0x08u
#define HVC_PARTITION_INFO 0x09u
#define HVC_REPORT_FAULT 0x0Au
#define HVC_CHANNEL_SEND 0x10u
#define HVC_CHANNEL_RECV 0x11u
#define HVC_CHANNEL_POLL 0x12u

/* Status codes (r0 on return). */
#define HV_OK 0
#define HV_UNKNOWN_CALL (-1)
#define HV_BAD_POINTER (-2)
#define HV_NOT_OWNER (-8)
#define HV_QUEUE_FULL (-9)
#define HV_QUEUE_EMPTY (-10)

/* What a hypercall returns: the status (r0) and r1-r3. */
struct hv_ret {
    int32_t status;
    uint32_t r1, r2, r3;
};

/* One hypercall: function `fn`, arguments `a1`-`a3`. */
static inline struct hv_ret hv_call(uint32_t fn, uint32_t a1, uint32_t a2, uint32_t a3)
{
    register uint32_t r0 __asm__("r0") = fn;
    register uint32_t r1 __asm__("r1") = a1;
    register uint32_t r2 __asm__("r2") = a2;
    register uint32_t r3 __asm__("r3") = a3;
    /* "memory": the hypervisor reads and writes the buffers passed. */
    __asm__ volatile("hvc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3) : : "memory");
    struct hv_ret ret = { (int32_t)r0, r1, r2, r3 };
    return ret;
}

/* Writes `len` bytes (at most 256) to the console; the hypervisor
 * prefixes each line with the partition's name. */
static inline int32_t hv_console_write(const char *buf, uint32_t len)
{
    return hv_call(HVC_CONSOLE_WRITE, (uint32_t)(uintptr_t)buf, len, 0).status;
}

/* Queues the `len` bytes at `msg` on channel `ch`. */
static inline int32_t hv_send(uint32_t ch, const void *msg, uint32_t len)
{
    return hv_call(HVC_CHANNEL_SEND, ch, (uint32_t)(uintptr_t)msg, len).status;
}

/* Takes the oldest message of channel `ch` into `buf` (`cap` bytes);
 * its length goes to `*len`. */
static inline int32_t hv_recv(uint32_t ch, void *buf, uint32_t cap, uint32_t *len)
{
    struct hv_ret r = hv_call(HVC_CHANNEL_RECV, ch, (uint32_t)(uintptr_t)buf, cap);
    *len = r.r1;
    return r.status;
}

/* Gives the core to the next partition on it until its next turn. */
static inline void hv_yield(void)
{
    (void)hv_call(HVC_YIELD, 0, 0, 0);
}

/* Stops this partition for good with exit code `code`. */
static inline __attribute__((noreturn)) void hv_shutdown(uint32_t code)
{
    (void)hv_call(HVC_SHUTDOWN, code, 0, 0);
    for (;;) {
    }
}

#endif /* RHYP_HV_H */
