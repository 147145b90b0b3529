package dev.vmbench.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * When a VM group's cluster resources are deleted at the end of the group.
 *
 * <p>Default {@link #ALWAYS}. {@link #ON_SUCCESS} keeps a group whose tests failed or broke, for
 * inspection; {@link #NEVER} keeps every group. Kept resources are logged with the command that deletes
 * them. Written in configuration as {@code always}, {@code on-success}, {@code never}.
 */
public enum CleanupMode {
    ALWAYS, ON_SUCCESS, NEVER;

    /** The configuration spelling, e.g. {@code on-success}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static CleanupMode parse(String text) {
        for (CleanupMode mode : values()) {
            if (mode.spelling().equalsIgnoreCase(text.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("must be one of " + Arrays.stream(values())
                .map(CleanupMode::spelling).collect(Collectors.joining(", ")));
    }
}
