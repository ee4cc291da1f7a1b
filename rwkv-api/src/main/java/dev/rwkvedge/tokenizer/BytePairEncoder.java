package dev.rwkvedge.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding of one pre-tokenized word by merge rank, as the {@code BPE} model of Hugging Face tokenizers
 * ({@code Word::merge_all}) does it: start from one symbol per byte, then repeatedly apply the adjacent merge with the
 * lowest rank (the leftmost one on ties) until no adjacent pair has a merge.
 *
 * <p>Symbols are token ids and merges are keyed by the pair of ids, so no strings are built while merging. Results
 * are cached per word, because natural text repeats words heavily; the cache is bounded and thread-safe.
 */
final class BytePairEncoder {
    private static final int CACHE_LIMIT = 100_000;

    private final int[] byteIds;
    /** (left id, right id) → (rank << 32) | merged id. */
    private final Map<Long, Long> merges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param byteIds the id of each single byte's token, {@code -1} where the vocabulary has none
     * @param merges  (left id, right id) pair key (see {@link #pair}) → {@code (rank << 32) | merged id}
     */
    BytePairEncoder(int[] byteIds, Map<Long, Long> merges) {
        this.byteIds = byteIds.clone();
        this.merges = new HashMap<>(merges);
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The ids of one word given as raw bytes. */
    int[] encode(byte[] word) {
        String key = new String(word, StandardCharsets.ISO_8859_1);
        int[] hit = cache.get(key);
        if (hit != null) {
            return hit;
        }
        int[] ids = merge(word);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(key, ids);
        return ids;
    }

    private int[] merge(byte[] word) {
        int[] id = new int[word.length];
        int n = 0;
        for (byte b : word) {
            // A byte without a token is dropped, as HF's BPE does when the model has no unk_token.
            if (byteIds[b & 0xFF] >= 0) {
                id[n++] = byteIds[b & 0xFF];
            }
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Queue entries: (rank << 32) | position of the left symbol; lowest rank, then leftmost, first.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, id[i], id[i + 1], i);
        }
        int alive = n;
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (dead[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            Long m = merges.get(pair(id[pos], id[right]));
            if (m == null || (int) (m >>> 32) != rank) {
                continue;
            }
            id[pos] = (int) (long) m;
            dead[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
                offer(queue, id[pos], id[next[pos]], pos);
            }
            if (prev[pos] >= 0) {
                offer(queue, id[prev[pos]], id[pos], prev[pos]);
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            out[k++] = id[i];
        }
        return out;
    }

    private void offer(PriorityQueue<Long> queue, int left, int right, int pos) {
        Long m = merges.get(pair(left, right));
        if (m != null) {
            queue.add(((m >>> 32) << 32) | pos);
        }
    }
}
