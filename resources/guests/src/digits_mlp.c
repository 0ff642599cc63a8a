/*
 * digits_mlp: classifies an 8x8 digit with an integer-quantized multilayer perceptron
 * whose weights are private (docs/ml.md).
 *
 * Private input: an MLP model blob (kind 1) followed by the 64 image bytes. Journal:
 * SHA-256(blob) | image | predicted class | 10 scores (ml_common.h). Malformed input:
 * exit code 2 and a message on the log, nothing in the journal.
 *
 * Arithmetic, exactly as engine/ml/reference.py: activations start as the pixels
 * 0..16; each layer computes acc = bias + sum(weight * activation) in int32 (int8
 * weights); a hidden layer requantizes with ReLU,
 *     y = clamp((acc * multiplier + 2^(shift-1)) >> shift, 0, 127)   (int64, arithmetic shift),
 * and the last layer's accumulators are the class scores.
 */
#define ML_GUEST_NAME "digits_mlp"
#include "ml_common.h"

struct layer {
    uint32_t inputs, outputs;
    uint32_t multiplier, shift; /* 0, 0 on the last layer */
    const int8_t *weights;      /* outputs rows of inputs weights */
    const uint8_t *biases;      /* outputs int32, little-endian, maybe unaligned */
};

static uint32_t read_layers(struct ml_reader *r, struct layer layers[ML_MAX_LAYERS]);
static void dense(const struct layer *layer, const int32_t *x, int32_t *y);

int main(void)
{
    struct ml_input in = ml_read_input();
    struct ml_reader r = ml_read_header(&in, ML_KIND_MLP);
    struct layer layers[ML_MAX_LAYERS];
    uint32_t count = read_layers(&r, layers);
    ml_finish(&r);

    static int32_t a[ML_MAX_WIDTH], b[ML_MAX_WIDTH];
    int32_t *x = a, *y = b;
    for (unsigned i = 0; i < ML_INPUT_SIZE; i++)
        x[i] = in.image[i];
    for (uint32_t l = 0; l < count; l++) {
        dense(&layers[l], x, y);
        int32_t *t = x;
        x = y;
        y = t;
    }
    ml_commit_claim(&in, x);
    return 0;
}

/* Parses and checks the layers; returns how many there are. */
static uint32_t read_layers(struct ml_reader *r, struct layer layers[ML_MAX_LAYERS])
{
    uint32_t count = ml_u8(r, "layer count", 0);
    if (count < 1 || count > ML_MAX_LAYERS)
        ml_fail("model blob: layer count is %u; it must be 1 to %u", (unsigned) count, ML_MAX_LAYERS);
    uint32_t width = ML_INPUT_SIZE;
    for (uint32_t l = 0; l < count; l++) {
        struct layer *layer = &layers[l];
        unsigned n = l + 1;
        int last = l == count - 1;
        layer->inputs = ml_u16(r, "inputs of layer", n);
        if (layer->inputs != width)
            ml_fail("model blob: layer %u has %u inputs, expected %u", n,
                    (unsigned) layer->inputs, (unsigned) width);
        layer->outputs = ml_u16(r, "outputs of layer", n);
        if (last && layer->outputs != ML_CLASS_COUNT)
            ml_fail("model blob: the last layer has %u outputs, not one per class (%u)",
                    (unsigned) layer->outputs, ML_CLASS_COUNT);
        if (layer->outputs < 1 || layer->outputs > ML_MAX_WIDTH)
            ml_fail("model blob: layer %u has %u outputs; 1 to %u allowed", n,
                    (unsigned) layer->outputs, ML_MAX_WIDTH);
        layer->multiplier = ml_u32(r, "multiplier of layer", n);
        layer->shift = ml_u8(r, "shift of layer", n);
        if (last && (layer->multiplier != 0 || layer->shift != 0))
            ml_fail("model blob: the last layer's multiplier and shift must be 0");
        if (!last && (layer->multiplier < 1 || layer->multiplier > 0x7FFFFFFFu ||
                      layer->shift < 1 || layer->shift > ML_MAX_SHIFT))
            ml_fail("model blob: layer %u requantizes with multiplier %u and shift %u", n,
                    (unsigned) layer->multiplier, (unsigned) layer->shift);
        layer->weights = (const int8_t *) ml_take(r, layer->outputs * layer->inputs,
                                                  "weights of layer", n);
        layer->biases = ml_take(r, 4 * layer->outputs, "biases of layer", n);
        for (uint32_t o = 0; o < layer->outputs; o++) {
            int32_t bias = (int32_t) ml_u32_at(layer->biases + 4 * o);
            if (bias > ML_MAX_BIAS || bias < -ML_MAX_BIAS)
                ml_fail("model blob: a bias of layer %u is beyond +-2^24", n);
        }
        width = layer->outputs;
    }
    return count;
}

/* y = the layer applied to x (layer->inputs values in, layer->outputs values out). */
static void dense(const struct layer *layer, const int32_t *x, int32_t *y)
{
    const int8_t *w = layer->weights;
    for (uint32_t o = 0; o < layer->outputs; o++, w += layer->inputs) {
        int32_t acc = (int32_t) ml_u32_at(layer->biases + 4 * o);
        for (uint32_t i = 0; i < layer->inputs; i++)
            acc += (int32_t) w[i] * x[i];
        if (layer->multiplier == 0) {
            y[o] = acc;
            continue;
        }
        int64_t scaled = ((int64_t) acc * layer->multiplier + ((int64_t) 1 << (layer->shift - 1)))
                         >> layer->shift;
        y[o] = scaled < 0 ? 0 : scaled > ML_HIDDEN_MAX ? ML_HIDDEN_MAX : (int32_t) scaled;
    }
}
