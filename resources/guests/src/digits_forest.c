/*
 * digits_forest: classifies an 8x8 digit with a random forest whose trees are
 * private (docs/ml.md).
 *
 * Private input: a forest model blob (kind 2) followed by the 64 image bytes.
 * Journal: SHA-256(blob) | image | predicted class | 10 scores (ml_common.h): the
 * score of a class is the number of trees that vote for it. Malformed input: exit
 * code 2 and a message on the log, nothing in the journal.
 *
 * A tree is an array of 4-byte nodes (feature, value, right u16) in preorder. Node i
 * with feature < 64 continues at i + 1 when pixel[feature] <= value, else at right;
 * the parser checks i + 1 < right < node count, so every walk moves forward and ends.
 * A node with feature 0xFF is a leaf that votes for class value.
 */
#define ML_GUEST_NAME "digits_forest"
#include "ml_common.h"

struct tree {
    const uint8_t *nodes;
    uint32_t node_count;
};

static uint32_t read_trees(struct ml_reader *r, struct tree trees[ML_MAX_TREES]);
static uint32_t vote(const struct tree *tree, const uint8_t *image);

int main(void)
{
    struct ml_input in = ml_read_input();
    struct ml_reader r = ml_read_header(&in, ML_KIND_FOREST);
    static struct tree trees[ML_MAX_TREES];
    uint32_t count = read_trees(&r, trees);
    ml_finish(&r);

    int32_t scores[ML_CLASS_COUNT] = {0};
    for (uint32_t t = 0; t < count; t++)
        scores[vote(&trees[t], in.image)]++;
    ml_commit_claim(&in, scores);
    return 0;
}

/* Parses and checks every tree; returns how many there are. */
static uint32_t read_trees(struct ml_reader *r, struct tree trees[ML_MAX_TREES])
{
    uint32_t count = ml_u16(r, "tree count", 0);
    if (count < 1 || count > ML_MAX_TREES)
        ml_fail("model blob: tree count is %u; it must be 1 to %u", (unsigned) count, ML_MAX_TREES);
    for (uint32_t t = 0; t < count; t++) {
        unsigned n = t + 1;
        uint32_t nodes = ml_u16(r, "node count of tree", n);
        if (nodes < 1 || nodes > ML_MAX_NODES)
            ml_fail("model blob: tree %u has %u nodes; 1 to %u allowed", n, (unsigned) nodes,
                    ML_MAX_NODES);
        const uint8_t *node = ml_take(r, 4 * nodes, "nodes of tree", n);
        trees[t].nodes = node;
        trees[t].node_count = nodes;
        for (uint32_t i = 0; i < nodes; i++, node += 4) {
            uint32_t feature = node[0], value = node[1], right = ml_u16_at(node + 2);
            if (feature == ML_LEAF) {
                if (value >= ML_CLASS_COUNT || right != 0)
                    ml_fail("model blob: tree %u leaf %u is malformed (class %u, right %u)", n,
                            (unsigned) i, (unsigned) value, (unsigned) right);
            } else if (feature >= ML_INPUT_SIZE) {
                ml_fail("model blob: tree %u node %u tests feature %u; features are 0..%u", n,
                        (unsigned) i, (unsigned) feature, ML_INPUT_SIZE - 1);
            } else if (right <= i + 1 || right >= nodes) {
                ml_fail("model blob: tree %u node %u has right child %u; it must lie after "
                        "its left child and inside the tree", n, (unsigned) i, (unsigned) right);
            }
        }
    }
    return count;
}

/* The class the tree votes for. */
static uint32_t vote(const struct tree *tree, const uint8_t *image)
{
    const uint8_t *node = tree->nodes;
    while (node[0] != ML_LEAF)
        node = image[node[0]] <= node[1] ? node + 4 : tree->nodes + 4 * ml_u16_at(node + 2);
    return node[1];
}
