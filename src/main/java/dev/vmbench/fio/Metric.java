package dev.vmbench.fio;

import java.util.Locale;

/**
 * What a threshold can bound, with the spelling used in thresholds files and messages. Latencies are
 * completion latencies ({@code clat}) of reads, writes and trims, or sync latencies of fsync/fdatasync calls
 * (rows of direction {@code sync}), in nanoseconds; bandwidth is bytes per second.
 */
public enum Metric {
    IOPS("iops"),
    BW("bw"),
    CLAT_MEAN("clat-mean"),
    CLAT_P50("clat-p50"),
    CLAT_P90("clat-p90"),
    CLAT_P95("clat-p95"),
    CLAT_P99("clat-p99"),
    CLAT_P99_9("clat-p99.9"),
    /** fsync/fdatasync latency (fio's {@code sync} section): what a database commit waits for. */
    SYNC_MEAN("sync-mean"),
    SYNC_P50("sync-p50"),
    SYNC_P90("sync-p90"),
    SYNC_P95("sync-p95"),
    SYNC_P99("sync-p99"),
    SYNC_P99_9("sync-p99.9"),
    /** Fairness: the coefficient of variation of IOPS across a group's VMs (0 = all equal). Group-level. */
    IOPS_CV("iops-cv"),
    /** Provisioning: one VM from create to guest ready (SSH and cloud-init), in nanoseconds. */
    VM_READY("vm-ready"),
    /** Provisioning: the whole group from create to every guest ready, in nanoseconds. Group-level. */
    GROUP_READY("group-ready"),
    /**
     * Concurrency: the share of the group's measured window during which every VM was measuring (a fraction, 1 =
     * all together). Group-level; below its minimum the run is no concurrent measurement, so the test breaks.
     */
    OVERLAP("overlap"),
    /**
     * Steadiness: the coefficient of variation of one VM's per-interval IOPS over its measured window (from fio's
     * interval logs; of stonewalled phases the least steady), a fraction. Judged per VM on {@link TimeSeries}.
     */
    IOPS_DRIFT("iops-drift"),
    /** Capability: a running VM's VirtualMachineSnapshot from create to readyToUse, in nanoseconds. */
    SNAPSHOT_READY("snapshot-ready"),
    /** Capability: a VirtualMachineRestore from create to complete, in nanoseconds. */
    RESTORE("restore"),
    /** Capability: a DataVolume clone of the data PVC from create to Succeeded, in nanoseconds. */
    CLONE("clone"),
    /** Capability: a live migration from create to Succeeded while fio runs, in nanoseconds. */
    MIGRATION("migration"),
    /**
     * Capability: the longest time, timed outside the guest on the harness's clock, between two completed writes of
     * the guest's I/O probe during a live migration, in nanoseconds (the guest's own clock stops while it is paused).
     */
    IO_STALL("io-stall"),
    /** Capability: an online expansion of the data PVC until the guest sees the new size, in nanoseconds. */
    EXPANSION("expansion");

    private final String spelling;

    Metric(String spelling) {
        this.spelling = spelling;
    }

    public String spelling() {
        return spelling;
    }

    public boolean isLatency() {
        return this != IOPS && this != BW && this != IOPS_CV && this != OVERLAP && this != IOPS_DRIFT && !isCapability();
    }

    /** Judged on a storage capability check ({@code StorageCapabilitiesIT}), never on a fio test. */
    public boolean isCapability() {
        return this == SNAPSHOT_READY || this == RESTORE || this == CLONE || this == MIGRATION || this == IO_STALL
                || this == EXPANSION;
    }

    /** Judged on the group's provisioning ({@link Provisioning}), not on fio's output. */
    public boolean isProvisioning() {
        return this == VM_READY || this == GROUP_READY;
    }

    /** Sync metrics bound fsync/fdatasync rows only; every other metric the I/O rows (read, write, trim). */
    public boolean appliesTo(FioMetrics m) {
        return !isProvisioning() && !isCapability() && this != IOPS_DRIFT && name().startsWith("SYNC_") == m.direction().equals("sync");
    }

    /** Judged on the group's aggregate ({@link GroupMetrics}), not on each VM. */
    public boolean isGroupLevel() {
        return this == IOPS_CV || this == OVERLAP;
    }

    public double of(FioMetrics m) {
        return switch (this) {
            case IOPS -> m.iops();
            case BW -> m.bandwidthBytes();
            case CLAT_MEAN, SYNC_MEAN -> m.clatMeanNs();
            case CLAT_P50, SYNC_P50 -> m.clatP50Ns();
            case CLAT_P90, SYNC_P90 -> m.clatP90Ns();
            case CLAT_P95, SYNC_P95 -> m.clatP95Ns();
            case CLAT_P99, SYNC_P99 -> m.clatP99Ns();
            case CLAT_P99_9, SYNC_P99_9 -> m.clatP999Ns();
            case IOPS_CV, VM_READY, GROUP_READY, OVERLAP, IOPS_DRIFT, SNAPSHOT_READY, RESTORE, CLONE, MIGRATION,
                    IO_STALL, EXPANSION -> Double.NaN;
        };
    }

    /** A value as people read it: {@code 1234 IOPS}, {@code 152.3 MiB/s}, {@code 4.21 ms}. */
    public String format(double value) {
        if (this == IOPS) {
            return String.format(Locale.ROOT, "%.0f IOPS", value);
        }
        if (this == IOPS_CV || this == OVERLAP || this == IOPS_DRIFT) {
            return String.format(Locale.ROOT, "%.1f %%", value * 100);
        }
        if (this == BW) {
            return String.format(Locale.ROOT, "%.1f MiB/s", value / (1024 * 1024));
        }
        if (isProvisioning() || isCapability() && this != IO_STALL) {
            return String.format(Locale.ROOT, "%.1f s", value / 1_000_000_000);
        }
        if (value >= 1_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", value / 1_000_000);
        }
        return String.format(Locale.ROOT, "%.1f us", value / 1_000);
    }

    public static Metric bySpelling(String spelling) {
        for (Metric metric : values()) {
            if (metric.spelling.equals(spelling)) {
                return metric;
            }
        }
        throw new IllegalArgumentException("unknown metric " + spelling);
    }
}
