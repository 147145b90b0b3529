package dev.vmbench.junit;

import dev.vmbench.cluster.Capability;
import dev.vmbench.cluster.CapabilityCheck;
import dev.vmbench.cluster.CapabilityProbe;
import dev.vmbench.cluster.StorageFacts;
import dev.vmbench.cluster.VmGroup;
import dev.vmbench.fio.Metric;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.Limit;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.Charts;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage capability checks of one StorageClass as its tests see them ({@code StorageCapabilitiesIT}): each
 * {@link #check} runs one operation on the group's VM, records it at once ({@code capabilities.csv}, the matrix in
 * {@code capabilities.json} and the run summary) and turns it into the test's verdict — skipped with the reason when
 * the StorageClass cannot do it, failed when it went wrong or took longer than its {@code max-…} threshold, broken
 * when the cluster or harness did. Resolved as a test parameter, one per class invocation.
 */
public final class StorageCapabilities {

    private static final Logger LOG = LoggerFactory.getLogger(StorageCapabilities.class);

    private final Settings settings;
    private final VmGroupSpec group;
    private final Supplier<VmGroup> vms;
    private CapabilityProbe probe;

    StorageCapabilities(Settings settings, VmGroupSpec group, Supplier<VmGroup> vms) {
        this.settings = settings;
        this.group = group;
        this.vms = vms;
    }

    /**
     * Checks {@code capability} and judges it against its threshold.
     *
     * @throws AssertionError when the operation failed, lost data or exceeded its limit (a failed test)
     * @throws org.opentest4j.TestAbortedException when the StorageClass does not support it (a skipped test)
     */
    public CapabilityCheck check(Capability capability) {
        if (!settings.config().selection().selectsCapability(group, capability.spelling())) {
            Assumptions.abort(capability.spelling() + " is not selected by vmbench.filter/vmbench.exclude "
                    + settings.config().selection().filter() + " / " + settings.config().selection().exclude()
                    + " (a capability check is pool:size:pvc:concurrency:capability:" + capability.spelling() + ")");
        }
        CapabilityCheck result;
        try {
            result = AllureReport.step(capability.spelling() + " on " + group.pool(), () -> run(capability));
        } catch (RuntimeException e) {
            record(capability, "broken", Double.NaN, Map.of(), String.valueOf(e.getMessage()));
            throw e;
        }
        result.evidence().forEach(AllureReport::text);
        double seconds = result.took().toNanos() / 1e9;
        switch (result.outcome()) {
            case UNSUPPORTED -> {
                record(capability, "skipped", Double.NaN, result.details(), result.reason());
                Assumptions.abort(capability.spelling() + " is not supported on StorageClass " + group.pool() + ": "
                        + result.reason() + ".");
            }
            case FAILED -> {
                record(capability, "failed", seconds, result.details(), result.reason());
                throw new AssertionError(result.reason());
            }
            case WORKED -> {
                List<String> breaches = breaches(result);
                record(capability, breaches.isEmpty() ? "passed" : "failed", seconds, result.details(),
                        breaches.isEmpty() ? null : String.join("; ", breaches));
                if (!breaches.isEmpty()) {
                    throw new AssertionError(String.join("; ", breaches));
                }
            }
        }
        return result;
    }

    private CapabilityCheck run(Capability capability) {
        CapabilityProbe p = probe();
        Duration wait = deadline(capability.metric());
        return switch (capability) {
            case SNAPSHOT -> p.snapshot(wait);
            case RESTORE -> p.restore(wait);
            case CLONE -> p.cloneDataDisk(wait);
            case EXPANSION -> p.expand(wait);
            case MIGRATION -> p.migrate(wait, settings.config().migrationLoad());
        };
    }

    /** The probe of the group, made on first use; the StorageClass's facts are recorded then. */
    private synchronized CapabilityProbe probe() {
        if (probe == null) {
            probe = vms.get().capabilities();
            StorageFacts facts = probe.facts();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("provisioner", facts.provisioner());
            row.put("bindingMode", facts.bindingMode());
            row.put("allowVolumeExpansion", facts.allowsExpansion());
            row.put("snapshotClass", facts.snapshotClass());
            row.put("volumeMode", facts.volumeMode());
            row.put("accessModes", String.join(",", facts.accessModes()));
            settings.results().writeStorageFacts(group.pool(), row);
        }
        return probe;
    }

    /** An operation waits as long as its limit allows (past it the check has failed anyway), else the timeout. */
    private Duration deadline(Metric metric) {
        return limit(metric).map(l -> Duration.ofNanos((long) l.value())).orElse(settings.config().capabilityTimeout());
    }

    private Optional<Limit> limit(Metric metric) {
        return settings.thresholds().capabilities(group.pool()).stream().filter(l -> l.metric() == metric).findFirst();
    }

    private List<String> breaches(CapabilityCheck result) {
        List<String> breaches = new java.util.ArrayList<>();
        Metric metric = result.capability().metric();
        limit(metric).filter(l -> !l.accepts(result.took().toNanos())).ifPresent(l -> breaches.add(String.format(
                Locale.ROOT, "%s %s is above the maximum %s (%s %s from %s) on StorageClass %s", metric.spelling(),
                metric.format(result.took().toNanos()), metric.format(l.value()), l.key(), l.written(), l.origin(),
                group.pool())));
        String stall = result.details().get("io-stall-ms");
        if (stall != null) {
            double ns = Double.parseDouble(stall) * 1e6;
            limit(Metric.IO_STALL).filter(l -> !l.accepts(ns)).ifPresent(l -> breaches.add(String.format(Locale.ROOT,
                    "io-stall %s ms during the live migration is above the maximum %s (%s %s from %s) on StorageClass "
                            + "%s (the longest stretch without a completed I/O in fio's 100 ms logs)", stall,
                    Metric.IO_STALL.format(l.value()), l.key(), l.written(), l.origin(), group.pool())));
        }
        return breaches;
    }

    private void record(Capability capability, String outcome, double seconds, Map<String, String> details,
            String why) {
        settings.results().writeCapability(group.pool(), capability.spelling(), outcome, seconds, details, why);
        String figures = String.join(" · ", details.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .toList());
        LOG.info("Capability {} on {}: {}{}{}{}", capability.spelling(), group.pool(), outcome, Double.isNaN(seconds)
                ? "" : String.format(Locale.ROOT, " in %.1f s", seconds), figures.isEmpty() ? "" : " · " + figures,
                why == null ? "" : " — " + why);
        StringBuilder html = new StringBuilder("<p><b>").append(Charts.escape(capability.spelling())).append(" on ")
                .append(Charts.escape(group.pool())).append(": ").append(outcome);
        if (!Double.isNaN(seconds)) {
            html.append(String.format(Locale.ROOT, " in %.2f s", seconds));
        }
        html.append("</b></p>");
        if (!details.isEmpty()) {
            html.append("<table border='1' cellpadding='4' style='border-collapse:collapse;font-family:sans-serif;"
                    + "font-size:13px'>");
            details.forEach((k, v) -> html.append("<tr><td>").append(Charts.escape(k)).append("</td><td>")
                    .append(Charts.escape(v)).append("</td></tr>"));
            html.append("</table>");
        }
        if (why != null) {
            html.append("<p>").append(Charts.escape(why)).append("</p>");
        }
        AllureReport.appendDescriptionHtml(html.toString());
    }
}
