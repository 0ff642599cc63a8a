/*
 * ml_common.h: what the machine-learning guests share (docs/ml.md).
 *
 * Private input: a model blob followed by one 8x8 image (64 bytes, pixels 0..16).
 * Journal: SHA-256(blob) | the 64 image bytes | predicted class (1 byte)
 *          | 10 class scores (int32, little-endian) = 137 bytes.
 *
 * The blob is untrusted: every field is read through a bounds-checked reader and
 * checked against the same rules as engine/ml/blob.py, and anything wrong ends the
 * guest with exit code 2 and one line on the log, before any arithmetic runs. The
 * caps below keep every accumulator far from overflow (see MAX_BIAS).
 *
 * Define ML_GUEST_NAME (the prefix of log messages) before including this file.
 */
#ifndef ML_COMMON_H
#define ML_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "sha256.h"
#include "zkwb.h"

#ifndef ML_GUEST_NAME
#error "define ML_GUEST_NAME before including ml_common.h"
#endif

/* The blob format (engine/ml/blob.py holds the same constants). */
#define ML_VERSION          1
#define ML_KIND_MLP         1
#define ML_KIND_FOREST      2
#define ML_HEADER_BYTES     12
#define ML_INPUT_SIZE       64
#define ML_CLASS_COUNT      10
#define ML_PIXEL_MAX        16
#define ML_MAX_MODEL_BYTES  (256u * 1024u)
#define ML_MAX_LAYERS       4
#define ML_MAX_WIDTH        256
#define ML_MAX_BIAS         (1 << 24)   /* |acc| <= 256 * 128 * 127 + 2^24 < 2^25 */
#define ML_MAX_SHIFT        62
#define ML_HIDDEN_MAX       127
#define ML_MAX_TREES        1024
#define ML_MAX_NODES        32768
#define ML_LEAF             0xFF

#define ML_EXIT_MALFORMED   2
#define ML_JOURNAL_BYTES    (32 + ML_INPUT_SIZE + 1 + 4 * ML_CLASS_COUNT)

/* Logs "<guest>: <message>" and exits with ML_EXIT_MALFORMED. */
__attribute__((noreturn, format(printf, 1, 2))) static void ml_fail(const char *format, ...)
{
    char message[200];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    zkwb_logf("%s: %s\n", ML_GUEST_NAME, message);
    zkwb_exit(ML_EXIT_MALFORMED);
}

/* -- the private input */

struct ml_input {
    const uint8_t *blob;
    size_t blob_size;
    const uint8_t *image; /* ML_INPUT_SIZE pixels, each checked to be 0..16 */
};

/* Reads the whole input: everything but the last 64 bytes is the blob. */
static struct ml_input ml_read_input(void)
{
    static uint8_t buffer[ML_MAX_MODEL_BYTES + ML_INPUT_SIZE + 1];
    size_t size = zkwb_read_exact(buffer, sizeof buffer);
    if (size == sizeof buffer)
        ml_fail("the input is too large: a model blob is at most %u bytes", ML_MAX_MODEL_BYTES);
    if (size < ML_HEADER_BYTES + ML_INPUT_SIZE)
        ml_fail("the input is %u bytes; it must be a model blob followed by a %u-byte image",
                (unsigned) size, ML_INPUT_SIZE);
    struct ml_input in = {buffer, size - ML_INPUT_SIZE, buffer + size - ML_INPUT_SIZE};
    for (unsigned i = 0; i < ML_INPUT_SIZE; i++)
        if (in.image[i] > ML_PIXEL_MAX)
            ml_fail("pixel %u of the image is %u; pixels are 0..%u", i, in.image[i], ML_PIXEL_MAX);
    return in;
}

/* -- a bounds-checked reader over the blob */

struct ml_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
};

/* The next n bytes; "what" and "item" (1-based, 0 for none) name the field. */
static const uint8_t *ml_take(struct ml_reader *r, size_t n, const char *what, unsigned item)
{
    size_t left = r->size - r->pos;
    if (n > left) {
        if (item)
            ml_fail("model blob is truncated: %s %u needs %u bytes, %u remain", what, item,
                    (unsigned) n, (unsigned) left);
        ml_fail("model blob is truncated: %s needs %u bytes, %u remain", what, (unsigned) n,
                (unsigned) left);
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

static inline uint32_t ml_u16_at(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8;
}

static inline uint32_t ml_u32_at(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint32_t ml_u8(struct ml_reader *r, const char *what, unsigned item)
{
    return *ml_take(r, 1, what, item);
}

static inline uint32_t ml_u16(struct ml_reader *r, const char *what, unsigned item)
{
    return ml_u16_at(ml_take(r, 2, what, item));
}

static inline uint32_t ml_u32(struct ml_reader *r, const char *what, unsigned item)
{
    return ml_u32_at(ml_take(r, 4, what, item));
}

static inline void ml_expect(uint32_t value, uint32_t wanted, const char *what)
{
    if (value != wanted)
        ml_fail("model blob: %s is %u, expected %u", what, (unsigned) value, (unsigned) wanted);
}

/* Checks the header: magic, version, that the blob holds this guest's kind of model,
   and the dimensions. Leaves the reader at the start of the body. */
static struct ml_reader ml_read_header(const struct ml_input *in, uint32_t kind)
{
    static const char *const KINDS[] = {"", "an MLP", "a forest"};
    struct ml_reader r = {in->blob, in->blob_size, 0};
    const uint8_t *magic = ml_take(&r, 4, "magic", 0);
    if (magic[0] != 'Z' || magic[1] != 'K' || magic[2] != 'M' || magic[3] != 'L')
        ml_fail("not a zkwb model blob (the magic bytes are not 'ZKML')");
    uint32_t version = ml_u16(&r, "version", 0);
    if (version != ML_VERSION)
        ml_fail("model blob version %u is not supported (this guest reads version %u)",
                (unsigned) version, ML_VERSION);
    uint32_t found = ml_u8(&r, "kind", 0);
    if (found != ML_KIND_MLP && found != ML_KIND_FOREST)
        ml_fail("model kind %u is unknown (1 = MLP, 2 = forest)", (unsigned) found);
    if (found != kind)
        ml_fail("the blob holds %s model; this guest runs %s", KINDS[found], KINDS[kind]);
    ml_expect(ml_u8(&r, "reserved byte", 0), 0, "reserved byte");
    ml_expect(ml_u16(&r, "input size", 0), ML_INPUT_SIZE, "input size");
    ml_expect(ml_u16(&r, "class count", 0), ML_CLASS_COUNT, "class count");
    return r;
}

/* Rejects bytes after the model. */
static void ml_finish(const struct ml_reader *r)
{
    if (r->pos != r->size)
        ml_fail("model blob has %u unexpected trailing bytes", (unsigned) (r->size - r->pos));
}

/* -- the claim */

/* Commits SHA-256(blob) | image | class | scores; the class is the first highest score. */
static void ml_commit_claim(const struct ml_input *in, const int32_t scores[ML_CLASS_COUNT])
{
    uint8_t journal[ML_JOURNAL_BYTES];
    struct sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, in->blob, in->blob_size);
    sha256_final(&ctx, journal);
    memcpy(journal + 32, in->image, ML_INPUT_SIZE);
    unsigned best = 0;
    for (unsigned c = 1; c < ML_CLASS_COUNT; c++)
        if (scores[c] > scores[best])
            best = c;
    journal[32 + ML_INPUT_SIZE] = (uint8_t) best;
    uint8_t *out = journal + 32 + ML_INPUT_SIZE + 1;
    for (unsigned c = 0; c < ML_CLASS_COUNT; c++) {
        uint32_t v = (uint32_t) scores[c];
        out[4 * c] = (uint8_t) v;
        out[4 * c + 1] = (uint8_t) (v >> 8);
        out[4 * c + 2] = (uint8_t) (v >> 16);
        out[4 * c + 3] = (uint8_t) (v >> 24);
    }
    zkwb_commit(journal, sizeof journal);
}

#endif /* ML_COMMON_H */
