package dev.vmbench.gate;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The results of the bash suite vmbench replaces, as a baseline: its results folder
 * ({@code <pool>/<vm_size>/<pvc_size>/<concurrency>/<profile>/<bs|native>/<vm>-fio.json}) or its
 * {@code reports/results-<RUN_ID>.csv} (one row per VM and job). Both become vmbench's keys — group
 * {@code "<StorageClass> <size> <pvc> x<n>"}, permutation {@code "<profile> <bs>"}, job {@code "<section> <direction>"}
 * — with the group's IOPS and bandwidth summed over its VMs and its worst VM's p99, as vmbench's own summary holds them.
 * The bash suite names pools by alias (rep3, ec-2-1); {@code poolAliases} maps them to StorageClasses.
 */
final class BashSuiteResults {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BashSuiteResults.class);

    private static final String CSV_HEADER = "\"storage_pool\",\"vm_size\",\"pvc_size\",\"concurrency\",\"fio_profile\","
            + "\"block_size\",\"job_name\",\"read_iops\",\"read_bw_kib\",\"read_lat_avg_ms\",\"read_lat_p99_ms\","
            + "\"write_iops\",\"write_bw_kib\",\"write_lat_avg_ms\",\"write_lat_p99_ms\"";

    private BashSuiteResults() {
    }

    /** Whether {@code path} looks like the bash suite's results: its CSV, or a folder of {@code *-fio.json}. */
    static boolean isOne(Path path) {
        if (Files.isRegularFile(path)) {
            return path.getFileName().toString().endsWith(".csv");
        }
        try (Stream<Path> files = Files.walk(path, 7)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith("-fio.json"));
        } catch (IOException e) {
            return false;
        }
    }

    /** permutation key → job key → {iops, worst p99 ns, bandwidth bytes/s}. */
    static Map<String, Map<String, double[]>> read(Path path, Map<String, String> poolAliases) {
        Map<String, Map<String, double[]>> permutations = new HashMap<>();
        if (Files.isRegularFile(path)) {
            readCsv(path, poolAliases, permutations);
        } else {
            readFolder(path, poolAliases, permutations);
        }
        if (permutations.isEmpty()) {
            throw new IllegalArgumentException("Baseline [" + path + "] holds no bash-suite results with I/O. Fix: point "
                    + "-Dvmbench.baseline at its results folder (<pool>/<vm_size>/<pvc_size>/<concurrency>/<profile>/"
                    + "<bs>/<vm>-fio.json) or its reports/results-<RUN_ID>.csv.");
        }
        return permutations;
    }

    private static void readFolder(Path root, Map<String, String> aliases, Map<String, Map<String, double[]>> into) {
        List<Path> outputs;
        try (Stream<Path> files = Files.walk(root)) {
            outputs = files.filter(f -> f.getFileName().toString().endsWith("-fio.json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the baseline folder " + root, e);
        }
        for (Path output : outputs) {
            Path relative = root.relativize(output);
            if (relative.getNameCount() != 7) {
                throw new IllegalArgumentException("Baseline file [" + relative + "] is not where the bash suite writes "
                        + "results (<pool>/<vm_size>/<pvc_size>/<concurrency>/<profile>/<bs>/<vm>-fio.json). Fix: point "
                        + "-Dvmbench.baseline at the results folder itself.");
            }
            String[] p = new String[6];
            for (int i = 0; i < 6; i++) {
                p[i] = relative.getName(i).toString();
            }
            String raw;
            try {
                raw = Files.readString(output);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + output, e);
            }
            FioOutput fio;
            try {
                fio = FioOutput.parse(relative.getFileName().toString(), raw);
            } catch (RuntimeException e) {
                // the bash suite kept outputs fio broke off (ENOSPC text before the JSON) and skipped them too; say so,
                // since the permutation then has no baseline to compare with
                LOG.warn("Baseline file {} is no fio output vmbench can read, so it is left out: {}", relative,
                        e.getMessage());
                continue;
            }
            for (FioMetrics m : fio.metrics()) {
                add(into, key(aliases, p), m.job() + " " + m.direction(), m.iops(), m.clatP99Ns(), m.bandwidthBytes());
            }
        }
    }

    private static void readCsv(Path csv, Map<String, String> aliases, Map<String, Map<String, double[]>> into) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the baseline " + csv, e);
        }
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IllegalArgumentException("Baseline [" + csv + "] does not start with the bash suite's CSV header "
                    + "(" + CSV_HEADER + "). Fix: use its reports/results-<RUN_ID>.csv, or a vmbench run's folder.");
        }
        for (int n = 1; n < lines.size(); n++) {
            String[] f = lines.get(n).replace("\"", "").split(",", -1);
            if (f.length != 15) {
                throw new IllegalArgumentException(csv.getFileName() + ":" + (n + 1) + ": " + f.length + " fields, the "
                        + "bash suite writes 15. Fix: use the CSV as it wrote it.");
            }
            String permutation = key(aliases, f);
            // a row per VM and job; both directions are there, the unused one as zeros
            add(into, permutation, f[6] + " read", number(f[7]), number(f[10]) * 1e6, number(f[8]) * 1024);
            add(into, permutation, f[6] + " write", number(f[11]), number(f[14]) * 1e6, number(f[12]) * 1024);
        }
    }

    /** vmbench's "group / permutation" key from the bash suite's pool, size, pvc, concurrency, profile, bs. */
    private static String key(Map<String, String> aliases, String[] f) {
        String bs = f[5].toLowerCase(Locale.ROOT);
        return aliases.getOrDefault(f[0], f[0]) + " " + f[1] + " " + f[2] + " x" + f[3] + " / " + f[4] + " " + bs;
    }

    private static void add(Map<String, Map<String, double[]>> into, String permutation, String job, double iops,
            double p99Ns, double bandwidth) {
        if (iops <= 0) {
            return;
        }
        double[] sum = into.computeIfAbsent(permutation, k -> new HashMap<>()).computeIfAbsent(job,
                k -> new double[3]);
        sum[0] += iops;
        sum[1] = Math.max(sum[1], p99Ns);
        sum[2] += bandwidth;
    }

    private static double number(String text) {
        return text.isEmpty() ? 0 : Double.parseDouble(text);
    }
}
