package dev.vmbench.matrix;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPUs and memory of each VM in a group; requests equal limits.
 *
 * <p>Named presets {@code small} (2 CPUs, 4Gi), {@code medium} (4, 8Gi), {@code large} (8, 16Gi) — the bash
 * suite's sizes, so a result keyed "small" means the same VM in both — and {@code xlarge} (16, 32Gi), or a custom
 * {@code CPUSxMEMORY} such as {@code 4x8Gi}.
 */
public record VmSize(String name, int cpus, String memory) {

    private static final Map<String, VmSize> PRESETS = new LinkedHashMap<>();
    private static final Pattern CUSTOM = Pattern.compile("(\\d{1,3})x(\\d{1,6}(Mi|Gi))");

    static {
        PRESETS.put("small", new VmSize("small", 2, "4Gi"));
        PRESETS.put("medium", new VmSize("medium", 4, "8Gi"));
        PRESETS.put("large", new VmSize("large", 8, "16Gi"));
        PRESETS.put("xlarge", new VmSize("xlarge", 16, "32Gi"));
    }

    /** Parses a preset name or {@code CPUSxMEMORY}; the message of the exception states the rule. */
    public static VmSize parse(String text) {
        String trimmed = text.trim();
        VmSize preset = PRESETS.get(trimmed);
        if (preset != null) {
            return preset;
        }
        Matcher m = CUSTOM.matcher(trimmed);
        if (m.matches() && Integer.parseInt(m.group(1)) > 0) {
            return new VmSize(trimmed, Integer.parseInt(m.group(1)), m.group(2));
        }
        throw new IllegalArgumentException("is not a VM size: use one of " + String.join(", ", PRESETS.keySet())
                + " or CPUSxMEMORY like 4x8Gi");
    }

    @Override
    public String toString() {
        return name;
    }
}
