package dev.vmbench.profile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The limits one test must meet: those for every job section, and per job section the ones that replace them
 * (thresholds file {@code jobs.<section>}). Duplicate job names fio reports as {@code name#2} take {@code name}'s.
 */
public record Limits(List<Limit> all, Map<String, List<Limit>> byJob) {

    public Limits {
        all = List.copyOf(all);
        byJob = Map.copyOf(byJob);
    }

    /** The same limits for every job section. */
    public static Limits uniform(List<Limit> limits) {
        return new Limits(limits, Map.of());
    }

    /** The limits for job section {@code job}: the general ones, with its own replacing them key by key. */
    public List<Limit> forJob(String job) {
        List<Limit> own = byJob.get(job.replaceFirst("#\\d+$", ""));
        if (own == null) {
            return all;
        }
        Map<String, Limit> merged = new LinkedHashMap<>();
        all.forEach(l -> merged.put(l.key(), l));
        own.forEach(l -> merged.put(l.key(), l));
        return List.copyOf(merged.values());
    }
}
