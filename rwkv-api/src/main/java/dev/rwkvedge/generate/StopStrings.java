package dev.rwkvedge.generate;

import java.util.List;

/**
 * Cuts a stream of text at the first stop string, releasing text as soon as it cannot be part of one.
 *
 * <p>Text that might be the start of a stop string (a suffix equal to a prefix of one) is held back until the
 * next piece decides it; so a consumer never sees any part of the stop string, even when it arrives split across
 * tokens. ChatRWKV's chat loop checks the decoded reply for {@code "\n\n"} in the same spirit.
 */
final class StopStrings {
    private final List<String> stops;
    private final int longest;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = stops;
        this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds a piece of text; returns the part that can be shown now (possibly empty). */
    String push(String piece) {
        if (stopped) {
            return "";
        }
        text.append(piece);
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, emitted);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            text.setLength(first);
            return release(first);
        }
        return release(text.length() - heldBack());
    }

    /** Ends the stream: returns whatever was held back (nothing if a stop string was found). */
    String finish() {
        return release(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    /** All text released or releasable: everything before the stop string, if one was found. */
    String text() {
        return text.toString();
    }

    /** The length of the longest suffix that is a proper prefix of some stop string. */
    private int heldBack() {
        int max = Math.min(longest - 1, text.length() - emitted);
        for (int h = max; h > 0; h--) {
            for (String s : stops) {
                if (s.length() > h && endsWithPrefix(s, h)) {
                    return h;
                }
            }
        }
        return 0;
    }

    private boolean endsWithPrefix(String s, int h) {
        int base = text.length() - h;
        for (int i = 0; i < h; i++) {
            if (text.charAt(base + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String release(int upTo) {
        String out = text.substring(emitted, upTo);
        emitted = upTo;
        return out;
    }
}
