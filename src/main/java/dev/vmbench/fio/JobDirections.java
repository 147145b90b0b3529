package dev.vmbench.fio;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The directions each section of a fio job file asks for ({@code read}, {@code write}, {@code trim}): by its
 * {@code rw} (or {@code readwrite}), else the {@code [global]} one, else fio's default {@code read}; a mixed job asks
 * for both unless its mix leaves one out ({@code rwmixread=100}). fio's JSON lists only what a VM did, so a
 * direction it never did can only be found against what it was asked.
 */
public final class JobDirections {

    private JobDirections() {
    }

    /** Section name → directions, in the file's order ({@code [global]} left out). */
    public static Map<String, Set<String>> of(String jobText) {
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String raw : jobText.lines().toList()) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1).trim(),
                        k -> new LinkedHashMap<>());
            } else if (current != null) {
                String[] option = line.split("[#;]", 2)[0].split("=", 2);
                current.put(option[0].trim(), option.length == 2 ? option[1].trim() : "");
            }
        }
        Map<String, String> global = sections.getOrDefault("global", Map.of());
        Map<String, Set<String>> asked = new LinkedHashMap<>();
        sections.forEach((name, options) -> {
            if (!name.equals("global")) {
                asked.put(name, directions(key -> options.getOrDefault(key, global.get(key))));
            }
        });
        return asked;
    }

    private static Set<String> directions(java.util.function.Function<String, String> option) {
        String rw = Objects.requireNonNullElse(option.apply("rw"), Objects.requireNonNullElse(
                option.apply("readwrite"), "read"));
        // rw=randread:8 (offsets in runs of 8) asks for the same direction as randread
        Set<String> directions = new LinkedHashSet<>();
        switch (rw.split(":", 2)[0].trim()) {
            case "read", "randread" -> directions.add("read");
            case "write", "randwrite" -> directions.add("write");
            case "trim", "randtrim" -> directions.add("trim");
            case "trimwrite", "randtrimwrite" -> directions.addAll(List.of("trim", "write"));
            default -> {
                // rw, readwrite, randrw: both, unless the mix gives one of them nothing
                int readPct = readShare(option.apply("rwmixread"), option.apply("rwmixwrite"));
                if (readPct > 0) {
                    directions.add("read");
                }
                if (readPct < 100) {
                    directions.add("write");
                }
            }
        }
        return Set.copyOf(directions);
    }

    /** The share of reads in a mixed job, from rwmixread or rwmixwrite (fio's default 50). */
    private static int readShare(String read, String write) {
        try {
            return read != null ? Integer.parseInt(read) : write != null ? 100 - Integer.parseInt(write) : 50;
        } catch (NumberFormatException placeholder) {
            return 50;
        }
    }
}
