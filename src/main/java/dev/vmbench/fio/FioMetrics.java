package dev.vmbench.fio;

/**
 * What one VM measured for one fio job section in one direction ({@code read}, {@code write} or
 * {@code trim}). Latencies are completion latencies in nanoseconds; {@code bandwidthBytes} is bytes/s; CPU is
 * the job's user and system CPU in percent (fio reports it per job section, so both directions carry it).
 * {@code phase} counts the stonewalls before the section: sections of one phase run together, phases one after
 * another, so throughput adds up within a phase and never across phases.
 */
public record FioMetrics(
        String vm,
        String job,
        int phase,
        String direction,
        long ios,
        double iops,
        double bandwidthBytes,
        double clatMeanNs,
        double clatStddevNs,
        double clatP50Ns,
        double clatP90Ns,
        double clatP95Ns,
        double clatP99Ns,
        double clatP999Ns,
        double clatMaxNs,
        double latMeanNs,
        long runtimeMs,
        int errors,
        double cpuUserPercent,
        double cpuSystemPercent) {

    /** {@code vm-0 rand-read read}: where a number came from. */
    public String where() {
        return vm + " " + job + " " + direction;
    }
}
