package dev.vmbench.fio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * fio's {@code --output-format=json} output of one VM, parsed. fio may print notes before the JSON
 * object (e.g. "note: both iodepth >= 1 and synchronous I/O engine…"); they are skipped.
 */
public record FioOutput(String vm, String fioVersion, JsonNode json) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] DIRECTIONS = {"read", "write", "trim"};

    /**
     * Parses one VM's raw output.
     *
     * @throws FioOutputException if the output is empty, holds no JSON object, is malformed or lacks jobs
     */
    public static FioOutput parse(String vm, String raw) {
        if (raw == null || raw.isBlank()) {
            throw new FioOutputException("fio on " + vm + " produced no output: expected a JSON object with "
                    + "\"jobs\"; check the job with 'vmbench-guest diagnose'");
        }
        int start = jsonStart(raw);
        if (start < 0) {
            throw new FioOutputException("fio output on " + vm + " holds no JSON object; it begins ["
                    + firstLine(raw) + "]; run fio with --output-format=json");
        }
        JsonNode json;
        try {
            json = JSON.readTree(raw.substring(start));
        } catch (JsonProcessingException e) {
            throw new FioOutputException("fio output on " + vm + " is not valid JSON at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ": "
                    + e.getOriginalMessage() + "; the output is attached as it was received");
        }
        if (json == null || !json.path("jobs").isArray() || json.path("jobs").isEmpty()) {
            throw new FioOutputException("fio output on " + vm + " has no \"jobs\" array: it is not the "
                    + "result of a fio run");
        }
        return new FioOutput(vm, json.path("fio version").asText("unknown"), json);
    }

    /**
     * The completion-latency histogram of each job section and direction ({@code rand-read read}, {@code redo-log
     * sync}), from fio's json+ {@code bins} (latency in ns → count); empty for plain JSON output.
     */
    public Map<String, Map<Long, Long>> bins() {
        Map<String, Map<Long, Long>> histograms = new java.util.LinkedHashMap<>();
        jobs().forEach((label, job) -> {
            for (String direction : DIRECTIONS) {
                putBins(histograms, label + " " + direction, job.path(direction).path("clat_ns").path("bins"));
            }
            putBins(histograms, label + " sync", job.path("sync").path("lat_ns").path("bins"));
        });
        return histograms;
    }

    /** fio's jobs by the name vmbench reports them under: duplicate job names get {@code #2}, {@code #3}… */
    private Map<String, JsonNode> jobs() {
        Map<String, JsonNode> jobs = new java.util.LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (JsonNode job : json.path("jobs")) {
            String name = job.path("jobname").asText("job");
            int n = seen.merge(name, 1, Integer::sum);
            jobs.put(n == 1 ? name : name + "#" + n, job);
        }
        return jobs;
    }

    private static void putBins(Map<String, Map<Long, Long>> histograms, String key, JsonNode bins) {
        if (!bins.isObject() || bins.isEmpty()) {
            return;
        }
        Map<Long, Long> counts = new java.util.TreeMap<>();
        bins.fields().forEachRemaining(e -> counts.merge(Long.parseLong(e.getKey()), e.getValue().asLong(), Long::sum));
        histograms.put(key, counts);
    }

    /**
     * Every error fio counted on this VM, one sentence each: a job's {@code error} (the errno that ended it) and its
     * {@code total_err} with {@code first_error} (errors it went on past, {@code continue_on_error}). A direction's
     * {@code short_ios} are no error (a sync job's reads at the end of a file come back short) and are not judged.
     */
    public List<String> errors() {
        List<String> errors = new ArrayList<>();
        jobs().forEach((label, job) -> {
            if (job.path("error").asInt(0) != 0) {
                errors.add("fio error " + job.path("error").asInt() + " (errno) in job " + label + " on VM " + vm);
            }
            if (job.path("total_err").asLong(0) > 0) {
                errors.add(job.path("total_err").asLong() + " I/O error(s) (total_err, first_error "
                        + job.path("first_error").asInt(0) + ") in job " + label + " on VM " + vm);
            }
        });
        return errors;
    }

    /**
     * What each job section was asked for by the options fio echoes ({@code job options} over {@code global
     * options}): section → read, write, trim. For a run whose job text is not known; the job text is better, since
     * a guest could run another job than it was given.
     */
    public Map<String, java.util.Set<String>> askedByOptions() {
        StringBuilder job = new StringBuilder("[global]\n");
        json.path("global options").fields().forEachRemaining(e -> job.append(e.getKey()).append('=')
                .append(e.getValue().asText()).append('\n'));
        Map<String, Boolean> seen = new HashMap<>();
        for (JsonNode j : json.path("jobs")) {
            String name = j.path("jobname").asText("job");
            if (seen.put(name, true) == null) {
                job.append('[').append(name).append("]\n");
                j.path("job options").fields().forEachRemaining(e -> job.append(e.getKey()).append('=')
                        .append(e.getValue().asText()).append('\n'));
            }
        }
        return JobDirections.of(job.toString());
    }

    /** One row per job section and direction that did I/O. Duplicate job names get {@code #2}, {@code #3}… */
    /** When fio wrote this output (its run's end), by the guest's clock: {@code timestamp_ms}, or fio 2's seconds. */
    public java.util.OptionalLong endEpochMillis() {
        if (json.path("timestamp_ms").canConvertToLong()) {
            return java.util.OptionalLong.of(json.path("timestamp_ms").asLong());
        }
        return json.path("timestamp").canConvertToLong()
                ? java.util.OptionalLong.of(json.path("timestamp").asLong() * 1000) : java.util.OptionalLong.empty();
    }

    public List<FioMetrics> metrics() {
        List<FioMetrics> rows = new ArrayList<>();
        int phase = -1;
        int previousGroup = Integer.MIN_VALUE;
        for (Map.Entry<String, JsonNode> labelled : jobs().entrySet()) {
            String label = labelled.getKey();
            JsonNode job = labelled.getValue();
            // a stonewall starts a new reporting group (fio: "stonewall implies new_group"), so a change of groupid
            // is where one phase ends and the next begins; numjobs clones share their section's group
            int group = job.path("groupid").asInt(0);
            if (group != previousGroup) {
                phase++;
                previousGroup = group;
            }
            for (String direction : DIRECTIONS) {
                JsonNode d = job.path(direction);
                long ios = d.path("total_ios").asLong(0);
                if (ios == 0 && d.path("io_bytes").asLong(0) == 0) {
                    continue;
                }
                Latency clat = latency(d, "clat", label, direction);
                Latency total = latency(d, "lat", label, direction);
                if (!d.path("iops").isNumber()) {
                    throw unknown(label, direction, "iops");
                }
                rows.add(new FioMetrics(vm, label, phase, direction, ios,
                        d.path("iops").asDouble(),
                        // fio 3 reports bytes/s; fio 2 only KiB/s
                        d.has("bw_bytes") ? d.path("bw_bytes").asDouble() : d.path("bw").asDouble() * 1024,
                        clat.node().path("mean").asDouble() * clat.scale(),
                        clat.node().path("stddev").asDouble() * clat.scale(),
                        percentile(clat, "50.000000"),
                        percentile(clat, "90.000000"),
                        percentile(clat, "95.000000"),
                        percentile(clat, "99.000000"),
                        percentile(clat, "99.900000"),
                        clat.node().path("max").asDouble() * clat.scale(),
                        total.node().path("mean").asDouble() * total.scale(),
                        d.path("runtime").asLong(),
                        job.path("error").asInt(0),
                        job.path("usr_cpu").asDouble(),
                        job.path("sys_cpu").asDouble()));
            }
            // fsync/fdatasync: fio counts them in sync.lat_ns.N (its total_ios stays 0) with their own latencies
            JsonNode sync = job.path("sync").path("lat_ns");
            long syncs = Math.max(job.path("sync").path("total_ios").asLong(0), sync.path("N").asLong(0));
            if (syncs > 0) {
                Latency latency = new Latency(sync, 1);
                long runtimeMs = job.path("job_runtime").asLong(0);
                rows.add(new FioMetrics(vm, label, phase, "sync", syncs,
                        runtimeMs > 0 ? syncs * 1000.0 / runtimeMs : Double.NaN, 0,
                        sync.path("mean").asDouble(), sync.path("stddev").asDouble(),
                        percentile(latency, "50.000000"), percentile(latency, "90.000000"),
                        percentile(latency, "95.000000"), percentile(latency, "99.000000"),
                        percentile(latency, "99.900000"), sync.path("max").asDouble(), sync.path("mean").asDouble(),
                        runtimeMs, job.path("error").asInt(0), job.path("usr_cpu").asDouble(),
                        job.path("sys_cpu").asDouble()));
            }
        }
        return rows;
    }

    /** A latency block and the factor to nanoseconds: fio 3 writes {@code clat_ns} in ns, fio 2 {@code clat} in µs. */
    private record Latency(JsonNode node, double scale) {
    }

    private Latency latency(JsonNode direction, String name, String job, String dir) {
        if (direction.path(name + "_ns").isObject()) {
            return new Latency(direction.path(name + "_ns"), 1);
        }
        if (direction.path(name).isObject()) {
            return new Latency(direction.path(name), 1000);
        }
        throw unknown(job, dir, name + "_ns");
    }

    /** Output whose fields this parser does not know is refused, never read as zero. */
    private FioOutputException unknown(String job, String direction, String field) {
        return new FioOutputException("fio output on " + vm + " (" + fioVersion + ") has no [" + field + "] for job "
                + job + " " + direction + ": vmbench reads the JSON of fio 2.x and 3.x, and this version writes "
                + "fields it does not know, so nothing of it is read as zero. Fix: run a fio 2.x or 3.x in the guests "
                + "(the guest's fio package), or report the fio version.");
    }

    private static double percentile(Latency latency, String key) {
        JsonNode value = latency.node().path("percentile").get(key);
        return value == null ? Double.NaN : value.asDouble() * latency.scale();
    }

    private static int jsonStart(String raw) {
        if (raw.startsWith("{")) {
            return 0;
        }
        int at = raw.indexOf("\n{");
        return at < 0 ? -1 : at + 1;
    }

    private static String firstLine(String raw) {
        String line = raw.strip().lines().findFirst().orElse("");
        return line.length() > 120 ? line.substring(0, 120) + "…" : line;
    }
}
