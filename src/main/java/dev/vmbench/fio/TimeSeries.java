package dev.vmbench.fio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The course of a run over time, from fio's interval logs ({@code write_iops_log}, {@code write_bw_log},
 * {@code write_lat_log} with {@code log_avg_msec} and {@code log_unix_epoch}): per VM, one point per interval with
 * the I/O rate, bandwidth and mean completion latency of all its jobs, and how steady the rate was.
 *
 * <p>fio writes one file per job (every {@code numjobs} clone its own), a line per direction and interval:
 * {@code time_ms, value, direction, bs, offset}; it writes no line for a direction that completed no I/O in an
 * interval ({@code __add_samples} in fio's stat.c). So within a phase (jobs that ran together; stonewalled sections
 * follow each other) a job without a line in an interval counted zero then — a stall stays visible. The last
 * interval of a phase is kept only if every job logged it: fio does not flush a partial rate window at exit.
 *
 * @param interval the logs' averaging interval ({@code ZERO}: no logs)
 * @param vms      VM → its points in time order
 */
public record TimeSeries(Duration interval, Map<String, List<Point>> vms) {

    public static final TimeSeries NONE = new TimeSeries(Duration.ZERO, Map.of());

    /** The most of one VM's interval logs vmbench unpacks (an hour at 100 ms is about 40 MiB). */
    public static final int LOGS_LIMIT = 256 << 20;

    /** Fewer intervals than this in every phase, and no steadiness figure is given (NaN). */
    public static final int MIN_INTERVALS = 3;

    private static final Pattern FILE = Pattern.compile("== .*_(iops|bw|clat)\\.(\\d+)\\.log");

    /**
     * One interval of one VM, all its jobs together.
     *
     * @param epochSeconds   the interval's end on this machine's clock (the guest's clock offset taken out)
     * @param phase          which phase of the job file (0, 1 … for stonewalled sections)
     * @param iops           I/Os per second, all jobs and directions
     * @param bandwidthBytes bytes per second, all jobs and directions
     * @param clatMeanNs     mean completion latency, weighted by each job's I/Os (NaN: no I/O completed)
     */
    public record Point(double epochSeconds, int phase, double iops, double bandwidthBytes, double clatMeanNs) {
    }

    public TimeSeries {
        vms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(vms));
    }

    /**
     * Per VM, the coefficient of variation (standard deviation ÷ mean) of its per-interval IOPS in each phase, the
     * least steady phase counting; NaN when no phase has {@value #MIN_INTERVALS} intervals.
     */
    public Map<String, Double> iopsDrift() {
        Map<String, Double> drift = new LinkedHashMap<>();
        vms.forEach((vm, points) -> {
            Map<Integer, List<Double>> byPhase = new TreeMap<>();
            points.forEach(p -> byPhase.computeIfAbsent(p.phase(), k -> new ArrayList<>()).add(p.iops()));
            double worst = Double.NaN;
            for (List<Double> iops : byPhase.values()) {
                if (iops.size() >= MIN_INTERVALS) {
                    double cv = cv(iops);
                    worst = Double.isNaN(worst) ? cv : Math.max(worst, cv);
                }
            }
            drift.put(vm, worst);
        });
        return drift;
    }

    /** The least steady VM's {@link #iopsDrift()}, NaN when none has one. */
    public double worstIopsDrift() {
        return iopsDrift().values().stream().filter(d -> !Double.isNaN(d)).mapToDouble(Double::doubleValue).max()
                .orElse(Double.NaN);
    }

    private static double cv(List<Double> values) {
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        if (mean == 0) {
            return 0;
        }
        double variance = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / values.size();
        return Math.sqrt(variance) / mean;
    }

    /** What {@code vmbench-guest logs} sent, decompressed. */
    public static String gunzip(String vm, byte[] gzip) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            // a few MiB of gzip can unpack to GiB (a gzip bomb): read no more than the limit
            byte[] logs = in.readNBytes(LOGS_LIMIT + 1);
            if (logs.length > LOGS_LIMIT) {
                throw new FioOutputException("fio's interval logs from VM " + vm + " unpack to more than "
                        + (LOGS_LIMIT >> 20) + " MiB, the most vmbench reads of them; the rest was not read. Fix: see "
                        + "'vmbench-guest logs' in that guest (a broken or foreign guest image), or a longer "
                        + "-Dvmbench.logInterval for a very long run");
            }
            return new String(logs, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FioOutputException("fio's interval logs from VM " + vm + " are not gzip data (" + e.getMessage()
                    + "). Fix: see 'vmbench-guest logs' in that guest; its gzip and base64 must work.");
        }
    }

    /**
     * One VM's points from its logs as {@code vmbench-guest logs} lists them ({@code == FILE} lines, then the file).
     *
     * @param clockOffset how far the guest's clock is ahead of this machine's
     */
    public static List<Point> parse(String vm, String logs, Duration interval, Duration clockOffset) {
        List<Entry> entries = new ArrayList<>();
        String file = null;
        String kind = null;
        int job = 0;
        int lineNumber = 0;
        for (String line : logs.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            Matcher header = FILE.matcher(line);
            if (header.matches()) {
                file = line.substring(3);
                kind = header.group(1);
                job = Integer.parseInt(header.group(2));
                continue;
            }
            String[] fields = line.split(",");
            if (kind == null || fields.length < 3) {
                throw malformed(vm, file, lineNumber, line);
            }
            try {
                entries.add(new Entry(job, kind, Integer.parseInt(fields[2].trim()), Long.parseLong(fields[0].trim()),
                        Double.parseDouble(fields[1].trim())));
            } catch (NumberFormatException e) {
                throw malformed(vm, file, lineNumber, line);
            }
        }
        return points(entries, Math.max(1, interval.toMillis()), clockOffset.toNanos() / 1e9);
    }

    /** One line of one log: job number, log kind (iops, bw, clat), direction (0 read, 1 write, 2 trim). */
    private record Entry(int job, String kind, int direction, long timeMs, double value) {
    }

    /** What one interval of one phase adds up to over its jobs. */
    private static final class Interval {
        double iops;
        double bandwidthBytes;
        double latencyWeighted;
        double ios;
        double timeSum;
        int timeCount;
        final java.util.Set<Integer> jobs = new java.util.HashSet<>();
    }

    private static FioOutputException malformed(String vm, String file, int line, String text) {
        return new FioOutputException("fio's interval logs from VM " + vm + " have a line that is no log entry "
                + "(time_ms, value, direction, …) at line " + line + (file == null ? " before any file" : " of " + file)
                + ": [" + text + "]. Fix: see that guest's fio version (fio 3 writes these logs) and its 'vmbench-guest "
                + "logs' output.");
    }

    private static List<Point> points(List<Entry> entries, long intervalMs, double offsetSeconds) {
        // a job's span: its first and last IOPS entry; jobs whose spans overlap ran together (one phase)
        Map<Integer, long[]> spans = new TreeMap<>();
        for (Entry e : entries) {
            if (e.kind().equals("iops")) {
                long[] span = spans.computeIfAbsent(e.job(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
                span[0] = Math.min(span[0], e.timeMs());
                span[1] = Math.max(span[1], e.timeMs());
            }
        }
        List<Map.Entry<Integer, long[]>> byStart = new ArrayList<>(spans.entrySet());
        byStart.sort(Comparator.comparingLong(s -> s.getValue()[0]));
        Map<Integer, Integer> phaseOf = new java.util.HashMap<>();
        List<long[]> phaseStarts = new ArrayList<>();
        List<Integer> phaseSizes = new ArrayList<>();
        long phaseEnd = Long.MIN_VALUE;
        for (Map.Entry<Integer, long[]> span : byStart) {
            if (phaseStarts.isEmpty() || span.getValue()[0] > phaseEnd + intervalMs / 2) {
                phaseStarts.add(new long[] {span.getValue()[0]});
                phaseSizes.add(0);
            }
            int phase = phaseStarts.size() - 1;
            phaseOf.put(span.getKey(), phase);
            phaseSizes.set(phase, phaseSizes.get(phase) + 1);
            phaseEnd = Math.max(phaseEnd, span.getValue()[1]);
        }
        // phase → interval number → its sums; and each job's IOPS per direction and interval, to weigh latencies
        List<TreeMap<Integer, Interval>> intervals = new ArrayList<>();
        phaseStarts.forEach(p -> intervals.add(new TreeMap<>()));
        Map<String, Double> iopsOf = new java.util.HashMap<>();
        for (String kind : List.of("iops", "bw", "clat")) {
            for (Entry e : entries) {
                Integer phase = phaseOf.get(e.job());
                if (!e.kind().equals(kind) || phase == null) {
                    continue;
                }
                int n = Math.toIntExact(Math.round((e.timeMs() - phaseStarts.get(phase)[0]) / (double) intervalMs));
                String key = e.job() + "/" + e.direction() + "/" + n;
                switch (kind) {
                    case "iops" -> {
                        Interval i = intervals.get(phase).computeIfAbsent(n, k -> new Interval());
                        i.iops += e.value();
                        i.timeSum += e.timeMs();
                        i.timeCount++;
                        i.jobs.add(e.job());
                        iopsOf.merge(key, e.value(), Double::sum);
                    }
                    // fio logs bandwidth in KiB/s
                    case "bw" -> intervals.get(phase).computeIfAbsent(n, k -> new Interval()).bandwidthBytes +=
                            e.value() * 1024;
                    default -> {
                        Interval i = intervals.get(phase).get(n);
                        double weight = iopsOf.getOrDefault(key, 0.0);
                        if (i != null && weight > 0) {
                            i.latencyWeighted += e.value() * weight;
                            i.ios += weight;
                        }
                    }
                }
            }
        }
        List<Point> points = new ArrayList<>();
        for (int phase = 0; phase < intervals.size(); phase++) {
            TreeMap<Integer, Interval> phaseIntervals = intervals.get(phase);
            int first = phaseIntervals.firstKey();
            int last = phaseIntervals.lastKey();
            // fio does not flush a partial rate window at exit: a last interval some job did not log is cut off
            if (last > first && phaseIntervals.get(last).jobs.size() < phaseSizes.get(phase)) {
                last--;
            }
            long start = phaseStarts.get(phase)[0];
            for (int n = first; n <= last; n++) {
                // no entry at all: no job of the phase completed an I/O in this interval
                Interval i = phaseIntervals.getOrDefault(n, new Interval());
                double timeMs = i.timeCount > 0 ? i.timeSum / i.timeCount : start + (double) n * intervalMs;
                points.add(new Point(timeMs / 1000 - offsetSeconds, phase, i.iops, i.bandwidthBytes,
                        i.ios > 0 ? i.latencyWeighted / i.ios : Double.NaN));
            }
        }
        return points;
    }
}
