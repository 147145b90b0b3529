package dev.vmbench.profile;

import dev.vmbench.fio.Metric;

/**
 * One gate: {@code metric} must be at least ({@code minimum}) or at most {@code value}. {@code written}
 * is how the user wrote it ({@code 5ms}) and {@code origin} where ({@code thresholds.yaml:14}).
 */
public record Limit(String key, Metric metric, boolean minimum, double value, String written, String origin) {

    /** True when {@code measured} passes this gate. NaN (not measured) never passes. */
    public boolean accepts(double measured) {
        return minimum ? measured >= value : measured <= value;
    }

    @Override
    public String toString() {
        return key + " " + written;
    }
}
