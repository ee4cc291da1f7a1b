package dev.rwkvedge.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * This process's memory as Linux reports it ({@code proc(5)}): peak and current resident set, split into anonymous
 * pages (Java heap, metaspace, code cache, thread stacks, native allocations) and file-backed pages (mapped model
 * files, the JVM's libraries and jars). Separates what the weights cost from what the JVM costs; −1 where there is no
 * {@code /proc} (not Linux).
 *
 * @param peakRss {@code VmHWM}: the largest resident set so far
 * @param rss     {@code VmRSS}
 * @param rssAnon {@code RssAnon}
 * @param rssFile {@code RssFile}
 */
public record ProcessMemory(long peakRss, long rss, long rssAnon, long rssFile) {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path SMAPS = Path.of("/proc/self/smaps");

    /** The current values from {@code /proc/self/status}. */
    public static ProcessMemory read() {
        List<String> lines;
        try {
            lines = Files.isReadable(STATUS) ? Files.readAllLines(STATUS) : List.of();
        } catch (IOException e) {
            lines = List.of();
        }
        return new ProcessMemory(kib(lines, "VmHWM:"), kib(lines, "VmRSS:"), kib(lines, "RssAnon:"), kib(lines, "RssFile:"));
    }

    /**
     * Resident bytes of this process's mappings of {@code file} (the {@code Rss} of every {@code /proc/self/smaps}
     * entry whose path is the file's real path): the pages of a memory-mapped model that are in RAM now. −1 without
     * {@code /proc}.
     */
    public static long mappedFileRss(Path file) {
        if (!Files.isReadable(SMAPS)) {
            return -1;
        }
        try {
            String target = file.toRealPath().toString();
            long sum = 0;
            boolean inFile = false;
            for (String line : Files.readAllLines(SMAPS)) {
                if (isHeader(line)) {
                    inFile = line.endsWith(" " + target);
                } else if (inFile && line.startsWith("Rss:")) {
                    sum += number(line.substring(4)) * 1024;
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A mapping line: {@code start-end perms offset dev inode [path]}; field lines start with {@code Name:}. */
    private static boolean isHeader(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        return dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(ch -> Character.digit(ch, 16) >= 0);
    }

    private static long kib(List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key)) {
                try {
                    return number(line.substring(key.length())) * 1024;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** The first whitespace-separated field, e.g. {@code "   1234 kB"} → 1234. */
    private static long number(String rest) {
        return Long.parseLong(rest.trim().split("\\s+")[0]);
    }
}
