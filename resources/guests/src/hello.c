/* hello: echoes the whole private input to the journal and greets on the host log. */
#include <stdlib.h>

#include "zkwb.h"

int main(void)
{
    size_t len;
    char *input = zkwb_read_all(&len);
    if (input == NULL) {
        zkwb_log("hello: out of memory\n");
        return 1;
    }
    zkwb_logf("Hello from a zkwb guest! Echoing %u bytes of input.\n", (unsigned) len);
    zkwb_commit(input, len);
    free(input);
    return 0;
}
