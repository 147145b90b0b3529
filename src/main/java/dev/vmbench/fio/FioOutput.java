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

    /** One row per job section and direction that did I/O. Duplicate job names get {@code #2}, {@code #3}… */
    public List<FioMetrics> metrics() {
        List<FioMetrics> rows = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (JsonNode job : json.path("jobs")) {
            String name = job.path("jobname").asText("job");
            int n = seen.merge(name, 1, Integer::sum);
            String label = n == 1 ? name : name + "#" + n;
            for (String direction : DIRECTIONS) {
                JsonNode d = job.path(direction);
                long ios = d.path("total_ios").asLong(0);
                if (ios == 0 && d.path("io_bytes").asLong(0) == 0) {
                    continue;
                }
                JsonNode clat = d.path("clat_ns");
                JsonNode pct = clat.path("percentile");
                rows.add(new FioMetrics(vm, label, direction, ios,
                        d.path("iops").asDouble(),
                        d.path("bw_bytes").asDouble(d.path("bw").asDouble() * 1024),
                        clat.path("mean").asDouble(),
                        clat.path("stddev").asDouble(),
                        percentile(pct, "50.000000"),
                        percentile(pct, "90.000000"),
                        percentile(pct, "95.000000"),
                        percentile(pct, "99.000000"),
                        percentile(pct, "99.900000"),
                        clat.path("max").asDouble(),
                        d.path("lat_ns").path("mean").asDouble(),
                        d.path("runtime").asLong(),
                        job.path("error").asInt(0),
                        job.path("usr_cpu").asDouble(),
                        job.path("sys_cpu").asDouble()));
            }
        }
        return rows;
    }

    private static double percentile(JsonNode percentiles, String key) {
        JsonNode value = percentiles.get(key);
        return value == null ? Double.NaN : value.asDouble();
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
