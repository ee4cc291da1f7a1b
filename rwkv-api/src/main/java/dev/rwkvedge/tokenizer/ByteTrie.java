package dev.rwkvedge.tokenizer;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A byte trie for greedy longest-match tokenisation, the structure of ChatRWKV's {@code TRIE} class
 * (rwkv_tokenizer.py) laid out in flat arrays instead of one object with 256 child slots per node.
 *
 * <p>Nodes are numbered breadth-first so the children of a node are contiguous and sorted by byte; a lookup is a
 * direct index at the root and a binary search below it. For the 65 529 World tokens (373 358 bytes) this is a few
 * MB, against hundreds of MB for 256-slot nodes.
 */
final class ByteTrie {
    private final byte[] label;
    private final int[] value;
    private final int[] firstChild;
    private final int[] childCount;
    private final int[] rootChild = new int[256];

    /**
     * @param tokens token bytes by id; {@code null} for ids without a token. Byte strings must be distinct and
     *               non-empty (the caller checks, to name the file and ids).
     */
    ByteTrie(byte[][] tokens) {
        Integer[] order = IntStream.range(0, tokens.length)
                .filter(i -> tokens[i] != null)
                .boxed()
                .toArray(Integer[]::new);
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(tokens[a], tokens[b]));
        int maxNodes = 1;
        for (byte[] t : tokens) {
            if (t != null) {
                maxNodes += t.length;
            }
        }
        byte[] lab = new byte[maxNodes];
        int[] val = new int[maxNodes];
        int[] first = new int[maxNodes];
        int[] count = new int[maxNodes];
        // Per node: the range of sorted tokens below it; the node's depth is its prefix length.
        int[] lo = new int[maxNodes];
        int[] hi = new int[maxNodes];
        int[] depth = new int[maxNodes];
        Arrays.fill(val, -1);
        hi[0] = order.length;
        int allocated = 1;
        for (int node = 0; node < allocated; node++) {
            int l = lo[node];
            int h = hi[node];
            int d = depth[node];
            if (l < h && tokens[order[l]].length == d) {
                val[node] = order[l];
                l++;
            }
            first[node] = allocated;
            int i = l;
            while (i < h) {
                byte b = tokens[order[i]][d];
                int j = i + 1;
                while (j < h && tokens[order[j]][d] == b) {
                    j++;
                }
                lab[allocated] = b;
                lo[allocated] = i;
                hi[allocated] = j;
                depth[allocated] = d + 1;
                allocated++;
                i = j;
            }
            count[node] = allocated - first[node];
        }
        this.label = Arrays.copyOf(lab, allocated);
        this.value = Arrays.copyOf(val, allocated);
        this.firstChild = Arrays.copyOf(first, allocated);
        this.childCount = Arrays.copyOf(count, allocated);
        Arrays.fill(rootChild, -1);
        for (int c = firstChild[0]; c < firstChild[0] + childCount[0]; c++) {
            rootChild[label[c] & 0xFF] = c;
        }
    }

    /**
     * The longest token that is a prefix of {@code src[from..to)}, packed as {@code (endIndex << 32) | id}, or
     * {@code -1} when not even one byte matches.
     */
    long longestMatch(byte[] src, int from, int to) {
        int node = rootChild[src[from] & 0xFF];
        if (node < 0) {
            return -1;
        }
        long best = -1;
        int i = from + 1;
        while (true) {
            if (value[node] >= 0) {
                best = ((long) i << 32) | value[node];
            }
            if (i >= to) {
                return best;
            }
            node = child(node, src[i]);
            if (node < 0) {
                return best;
            }
            i++;
        }
    }

    private int child(int node, byte b) {
        int lowIdx = firstChild[node];
        int highIdx = lowIdx + childCount[node] - 1;
        int key = b & 0xFF;
        while (lowIdx <= highIdx) {
            int mid = (lowIdx + highIdx) >>> 1;
            int m = label[mid] & 0xFF;
            if (m < key) {
                lowIdx = mid + 1;
            } else if (m > key) {
                highIdx = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }
}
