package dev.vmbench.cluster;

import java.time.Duration;
import java.util.Map;

/**
 * What one capability check found: the operation's time when it worked ({@link Outcome#WORKED}), why it was not
 * tried ({@link Outcome#UNSUPPORTED}), or how it went wrong ({@link Outcome#FAILED}: the platform reported a
 * failure, it did not finish in time, or data was lost). {@code details} are the figures and facts beside the time
 * (strategy, indications, stall); {@code evidence} the operation's manifests and final states, for the report.
 */
public record CapabilityCheck(Capability capability, Outcome outcome, Duration took, String reason,
        Map<String, String> details, Map<String, String> evidence) {

    public enum Outcome { WORKED, UNSUPPORTED, FAILED }

    public CapabilityCheck {
        details = Map.copyOf(details);
        evidence = Map.copyOf(evidence);
    }

    static CapabilityCheck worked(Capability capability, Duration took, Map<String, String> details,
            Map<String, String> evidence) {
        return new CapabilityCheck(capability, Outcome.WORKED, took, "", details, evidence);
    }

    static CapabilityCheck unsupported(Capability capability, String reason) {
        return new CapabilityCheck(capability, Outcome.UNSUPPORTED, Duration.ZERO, reason, Map.of(), Map.of());
    }

    static CapabilityCheck failed(Capability capability, Duration took, String reason, Map<String, String> details,
            Map<String, String> evidence) {
        return new CapabilityCheck(capability, Outcome.FAILED, took, reason, details, evidence);
    }
}
