/*
 * The demo's wheel-speed sensor in C: a partition built with
 * arm-none-eabi-gcc outside the tree, talking to the hypervisor with raw
 * hypercalls (hv.h). Everything the system file decides (its id, name,
 * channel ids and sizes) comes from the generated header `sensor.h`
 * (`hvcfg constants byo_c.toml --partition sensor --lang c`), so nothing
 * here hard-codes an id.
 *
 * It sends eight readings on its `readings` channel to the Rust
 * `controller` of partitions/apps, which prints each one, then ends.
 */
#include <stddef.h>
#include <stdint.h>

#include "hv.h"
#include "sensor.h" /* generated: HV_PARTITION_ID, HV_CHAN_TX_READINGS, ... */

/* The controller takes this many readings, then shuts down
 * (apps::READING_COUNT). */
#define READINGS 8u

/* One reading on the wire, as the controller decodes it
 * (apps::Reading: two little-endian words). */
struct reading {
    uint32_t seq;
    uint32_t rpm;
};

_Static_assert(sizeof(struct reading) <= HV_CHAN_TX_READINGS_MSG_SIZE,
               "a reading fits the channel's messages");

/* GCC may call these even in freestanding code (to zero or copy a
 * struct); there is no libc here, so they are defined once, plainly. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

void *memset(void *dst, int c, size_t n)
{
    volatile unsigned char *d = dst;
    while (n-- > 0u) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;
    while (n-- > 0u) {
        *d++ = *s++;
    }
    return dst;
}

/* A line under construction (the console prints whole lines). */
struct line {
    char buf[96];
    uint32_t len;
};

static void put(struct line *l, const char *s)
{
    while (*s != '\0' && l->len < sizeof l->buf) {
        l->buf[l->len++] = *s++;
    }
}

static void put_u32(struct line *l, uint32_t v)
{
    char digits[10];
    uint32_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0u && l->len < sizeof l->buf) {
        l->buf[l->len++] = digits[--n];
    }
}

static void put_i32(struct line *l, int32_t v)
{
    if (v < 0) {
        put(l, "-");
        put_u32(l, 0u - (uint32_t)v);
    } else {
        put_u32(l, (uint32_t)v);
    }
}

/* Prints the line (with its newline) and empties it. */
static void flush(struct line *l)
{
    put(l, "\n");
    (void)hv_console_write(l->buf, l->len);
    l->len = 0;
}

int main(void)
{
    struct line l = { .len = 0 };

    /* Who am I, asked of the hypervisor and checked against the header. */
    struct hv_ret id = hv_call(HVC_PARTITION_ID, 0, 0, 0);
    struct hv_ret ver = hv_call(HVC_VERSION, 0, 0, 0);
    char name[24];
    struct hv_ret nm = hv_call(HVC_PARTITION_NAME, (uint32_t)(uintptr_t)name, sizeof name, 0);
    put(&l, "C sensor up: partition ");
    put_u32(&l, id.r1);
    put(&l, " `");
    for (uint32_t i = 0; nm.status == HV_OK && i < nm.r1; i++) {
        char c[2] = { name[i], '\0' };
        put(&l, c);
    }
    put(&l, "` on core ");
    put_u32(&l, id.r2);
    put(&l, ", ABI ");
    put_u32(&l, ver.r1 >> 16);
    put(&l, ".");
    put_u32(&l, ver.r1 & 0xFFFFu);
    flush(&l);
    if (id.r1 != HV_PARTITION_ID || id.r2 != HV_CORE) {
        put(&l, "the hypervisor's id and core are not the generated header's");
        flush(&l);
        return 1;
    }

    /* A call the hypervisor refuses returns an error status, never a
     * fault: the sensor is not the receiving end of its channel. */
    uint32_t len = 0;
    struct reading in;
    put(&l, "receiving on its own send channel -> status ");
    put_i32(&l, hv_recv(HV_CHAN_TX_READINGS, &in, sizeof in, &len));
    put(&l, " (NotOwner is -8)");
    flush(&l);

    for (uint32_t seq = 0; seq < READINGS; seq++) {
        struct reading r = { .seq = seq, .rpm = 1500u + 25u * seq };
        int32_t st;
        while ((st = hv_send(HV_CHAN_TX_READINGS, &r, sizeof r)) == HV_QUEUE_FULL) {
            hv_yield();
        }
        if (st != HV_OK) {
            put(&l, "send failed: status ");
            put_i32(&l, st);
            flush(&l);
            return 1;
        }
        put(&l, "reading #");
        put_u32(&l, seq);
        put(&l, ": ");
        put_u32(&l, r.rpm);
        put(&l, " rpm sent on channel ");
        put_u32(&l, HV_CHAN_TX_READINGS);
        flush(&l);
    }
    put(&l, "all readings sent, shutting down");
    flush(&l);
    return 0;
}
