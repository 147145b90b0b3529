package dev.vmbench.cluster;

import dev.vmbench.fio.Metric;

/**
 * A storage capability VMs live by, checked by {@code StorageCapabilitiesIT} in this order on one VM of each
 * StorageClass: the restore needs the snapshot, and the migration comes last because it keeps fio running.
 */
public enum Capability {
    SNAPSHOT("snapshot", Metric.SNAPSHOT_READY),
    RESTORE("restore", Metric.RESTORE),
    CLONE("clone", Metric.CLONE),
    EXPANSION("expansion", Metric.EXPANSION),
    MIGRATION("migration", Metric.MIGRATION);

    private final String spelling;
    private final Metric metric;

    Capability(String spelling, Metric metric) {
        this.spelling = spelling;
        this.metric = metric;
    }

    public String spelling() {
        return spelling;
    }

    /** The duration a {@code max-…} threshold bounds. */
    public Metric metric() {
        return metric;
    }
}
