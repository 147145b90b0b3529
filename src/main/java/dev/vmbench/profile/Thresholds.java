package dev.vmbench.profile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vmbench.fio.Metric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gates of a run, from a thresholds file ({@code test-profiles/thresholds.yaml}) plus
 * {@code -Dvmbench.threshold.<key>} overrides. Later wins: {@code defaults} → {@code pools.<StorageClass>}
 * → {@code profiles.<profile>} → {@code blockSizes.<bs>} → {@code jobs.<section>} (that section only) →
 * overrides. Keys are {@code min-iops}, {@code min-bw}, {@code max-clat-mean|p50|p90|p95|p99|p99.9},
 * {@code max-sync-…}, {@code max-iops-cv} (fairness across VMs), and for a whole test {@code min-overlap},
 * {@code max-vm-ready}, {@code max-group-ready}, {@code max-iops-drift} (steadiness over time); values take
 * units ({@code 20k}, {@code 150MiB/s}, {@code 5ms}, {@code 800us}, {@code 20%}).
 */
public final class Thresholds {

    /** Every key a thresholds file or override may use. */
    public static final List<String> KEYS = List.of("min-iops", "min-bw", "max-clat-mean", "max-clat-p50",
            "max-clat-p90", "max-clat-p95", "max-clat-p99", "max-clat-p99.9", "max-sync-mean", "max-sync-p50",
            "max-sync-p90", "max-sync-p95", "max-sync-p99", "max-sync-p99.9", "max-iops-cv", "max-vm-ready",
            "max-group-ready", "min-overlap", "max-iops-drift", "max-snapshot-ready", "max-restore", "max-clone",
            "max-migration", "max-io-stall", "max-expansion");

    /**
     * Keys of the storage capability checks ({@code StorageCapabilitiesIT}): they bound a StorageClass, so they belong
     * under defaults or pools (or an override), never under a profile, block size or job section.
     */
    private static final List<String> CAPABILITY = List.of("max-snapshot-ready", "max-restore", "max-clone",
            "max-migration", "max-io-stall", "max-expansion");

    /**
     * The names a thresholds file may use besides limit keys: every profile of the library and every job section
     * of those profiles. {@link #ANY} accepts any name (a file read without a library).
     */
    public record Names(java.util.Set<String> profiles, java.util.Set<String> jobs) {
        public static final Names ANY = new Names(null, null);

        /** The profiles of {@code library} and the job sections they declare. */
        public static Names of(ProfileLibrary library) {
            java.util.Set<String> jobs = new java.util.TreeSet<>();
            Pattern section = Pattern.compile("(?m)^\\[([^\\]]+)\\]");
            for (String name : library.names()) {
                Matcher m = section.matcher(library.get(name).sections());
                while (m.find()) {
                    if (!m.group(1).equals("global")) {
                        jobs.add(m.group(1));
                    }
                }
            }
            return new Names(new java.util.TreeSet<>(library.names()), jobs);
        }
    }

    /** Keys judged once per test, never per job section. */
    private static final List<String> WHOLE_TEST = List.of("max-vm-ready", "max-group-ready", "min-overlap",
            "max-iops-drift");

    private static final Pattern NUMBER = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z/]*)");
    private static final List<String> SECTIONS = List.of("defaults", "pools", "profiles", "blockSizes", "jobs");

    private final Map<String, Limit> defaults;
    private final Map<String, Map<String, Limit>> pools;
    private final Map<String, Map<String, Limit>> profiles;
    private final Map<String, Map<String, Limit>> blockSizes;
    private final Map<String, Map<String, Limit>> jobs;
    private final Map<String, Limit> overrides;
    /** Where each {@code pools.<name>} stands ({@code thresholds.yaml:12}), checked once the cluster is known. */
    private final Map<String, String> poolOrigins = new LinkedHashMap<>();

    private Thresholds(Map<String, Limit> defaults, Map<String, Map<String, Limit>> pools,
            Map<String, Map<String, Limit>> profiles, Map<String, Map<String, Limit>> blockSizes,
            Map<String, Map<String, Limit>> jobs, Map<String, Limit> overrides) {
        this.defaults = defaults;
        this.pools = pools;
        this.profiles = profiles;
        this.blockSizes = blockSizes;
        this.jobs = jobs;
        this.overrides = overrides;
    }

    /**
     * Reads a thresholds file and applies overrides.
     *
     * @throws IllegalArgumentException naming file, line, key, value and the fix
     */
    public static Thresholds load(Path file, Map<String, String> overrides) {
        return load(file, overrides, Names.ANY);
    }

    /**
     * Reads a thresholds file strictly: unknown profile, block-size, job-section and limit names, duplicate keys
     * and a second YAML document are errors naming file:line, the name and the nearest valid one.
     *
     * @throws IllegalArgumentException naming file, line, key, value and the fix
     */
    public static Thresholds load(Path file, Map<String, String> overrides, Names names) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("Thresholds file [" + file.toAbsolutePath() + "] does not exist. "
                    + "Fix: run from the project folder or point -Dvmbench.thresholds at a thresholds file.");
        }
        Map<String, Limit> defaults = new LinkedHashMap<>();
        Map<String, Map<String, Limit>> pools = new LinkedHashMap<>();
        Map<String, Map<String, Limit>> profiles = new LinkedHashMap<>();
        Map<String, Map<String, Limit>> blockSizes = new LinkedHashMap<>();
        Map<String, Map<String, Limit>> jobs = new LinkedHashMap<>();
        Map<String, String> poolOrigins = new LinkedHashMap<>();
        String name = file.getFileName().toString();
        YAMLFactory yaml = new YAMLFactory();
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        try (JsonParser p = yaml.createParser(file.toFile())) {
            if (p.nextToken() == null) {
                return new Thresholds(defaults, pools, profiles, blockSizes, jobs, parseOverrides(overrides));
            }
            expect(p, JsonToken.START_OBJECT, name, "the file must be a map with defaults, pools and profiles");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String section = p.currentName();
                int line = p.currentLocation().getLineNr();
                p.nextToken();
                switch (section) {
                    case "defaults" -> defaults.putAll(readLimits(p, name, "defaults"));
                    case "pools" -> pools.putAll(readNamed(p, name, "pools", poolName -> {
                        poolOrigins.put(poolName, name + ":" + p.currentLocation().getLineNr());
                        return null;
                    }));
                    case "profiles" -> profiles.putAll(readNamed(p, name, "profiles",
                            profile -> known(profile, names.profiles(), "profile")));
                    case "blockSizes" -> blockSizes.putAll(readNamed(p, name, "blockSizes", Thresholds::blockSize));
                    case "jobs" -> jobs.putAll(readNamed(p, name, "jobs",
                            job -> known(job, names.jobs(), "job section of any profile")));
                    default -> throw new IllegalArgumentException(name + ":" + line + ": unknown section ["
                            + section + "]" + nearest(section, SECTIONS) + ". Fix: use " + String.join(", ", SECTIONS)
                            + ".");
                }
            }
            if (p.nextToken() != null) {
                throw new IllegalArgumentException(name + ":" + p.currentLocation().getLineNr() + ": a second YAML "
                        + "document starts here; vmbench reads one. Fix: merge it into the first (remove the ---).");
            }
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            java.util.regex.Matcher duplicate = Pattern.compile("Duplicate field '([^']*)'").matcher(e.getOriginalMessage());
            if (duplicate.find()) {
                throw new IllegalArgumentException(name + ":" + e.getLocation().getLineNr() + ": key ["
                        + duplicate.group(1) + "] is written twice in the same map, and YAML would keep only the last "
                        + "without a word. Fix: keep one of them.", e);
            }
            throw new IllegalArgumentException(name + ": is not valid YAML: " + e.getOriginalMessage().lines()
                    .findFirst().orElse("") + " (line " + e.getLocation().getLineNr() + "). Fix: correct the YAML "
                    + "syntax.", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": is not valid YAML: " + e.getMessage().lines().findFirst()
                    .orElse("") + ". Fix: correct the YAML syntax.", e);
        }
        Thresholds thresholds = new Thresholds(defaults, pools, profiles, blockSizes, jobs, parseOverrides(overrides));
        thresholds.poolOrigins.putAll(poolOrigins);
        return thresholds;
    }

    /**
     * Refuses {@code pools} entries that name no StorageClass of the cluster (a typo would silently leave the
     * defaults in force), naming file:line and the nearest StorageClass.
     */
    public void requireKnownPools(java.util.Collection<String> storageClasses) {
        List<String> unknown = new java.util.ArrayList<>();
        poolOrigins.forEach((pool, origin) -> {
            if (!storageClasses.contains(pool)) {
                unknown.add(origin + ": pools.[" + pool + "] names no StorageClass of this cluster"
                        + nearest(pool, storageClasses));
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", unknown) + ". Fix: correct the name, or remove the "
                    + "entry from the thresholds file (the cluster has " + new java.util.TreeSet<>(storageClasses)
                    + ").");
        }
    }

    /** Null when {@code name} is known (or anything goes), else the complaint. */
    private static String known(String name, java.util.Set<String> known, String what) {
        if (known == null || known.contains(name)) {
            return null;
        }
        return "names no " + what + nearest(name, known);
    }

    private static String blockSize(String name) {
        try {
            dev.vmbench.matrix.BlockSize.parse(name);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage() + nearest(name, List.of("512", "4k", "8k", "16k",
                    "32k", "64k", "128k", "256k", "512k", "1m", "4m", "native"));
        }
    }

    /** {@code ; nearest: [x]} for the candidate closest in spelling, or nothing when none is close. */
    static String nearest(String name, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int bestShared = -1;
        for (String candidate : candidates) {
            int d = distance(name, candidate);
            // among equally distant names, the one that shares more of its beginning and end (max-p99 → max-clat-p99)
            int shared = sharedEnds(name, candidate);
            if (d < bestDistance || d == bestDistance && shared > bestShared) {
                best = candidate;
                bestDistance = d;
                bestShared = shared;
            }
        }
        return best == null || bestDistance > Math.max(3, name.length() * 3 / 4) ? "" : "; nearest: [" + best + "]";
    }

    private static int sharedEnds(String a, String b) {
        int prefix = 0;
        while (prefix < Math.min(a.length(), b.length()) && a.charAt(prefix) == b.charAt(prefix)) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < Math.min(a.length(), b.length()) - prefix
                && a.charAt(a.length() - 1 - suffix) == b.charAt(b.length() - 1 - suffix)) {
            suffix++;
        }
        return prefix + suffix;
    }

    private static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1),
                        diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /**
     * The limits one test must meet, each key resolved by precedence: defaults → pools → profiles →
     * blockSizes → (per job section) jobs → {@code -Dvmbench.threshold.*}.
     */
    public Limits of(dev.vmbench.matrix.VmGroupSpec group, dev.vmbench.matrix.FioPermutation permutation) {
        Map<String, Limit> merged = new LinkedHashMap<>(defaults);
        merged.putAll(pools.getOrDefault(group.pool(), Map.of()));
        merged.putAll(profiles.getOrDefault(permutation.profile(), Map.of()));
        merged.putAll(blockSizes.getOrDefault(permutation.blockSize().toString(), Map.of()));
        Map<String, List<Limit>> byJob = new LinkedHashMap<>();
        jobs.forEach((job, limits) -> {
            Map<String, Limit> own = new LinkedHashMap<>(limits);
            own.putAll(overrides);
            byJob.put(job, List.copyOf(own.values()));
        });
        merged.putAll(overrides);
        return new Limits(List.copyOf(merged.values()), byJob);
    }

    /** The capability limits of one StorageClass: defaults → pools.<StorageClass> → overrides. */
    public List<Limit> capabilities(String pool) {
        Map<String, Limit> merged = new LinkedHashMap<>(defaults);
        merged.putAll(pools.getOrDefault(pool, Map.of()));
        merged.putAll(overrides);
        return merged.values().stream().filter(l -> l.metric().isCapability()).toList();
    }

    private static Map<String, Limit> parseOverrides(Map<String, String> overrides) {
        Map<String, Limit> limits = new LinkedHashMap<>();
        overrides.forEach((key, value) -> limits.put(key, limit(key, value, "-Dvmbench.threshold." + key)));
        return limits;
    }

    private static Map<String, Map<String, Limit>> readNamed(JsonParser p, String file, String section,
            java.util.function.Function<String, String> check) throws IOException {
        Map<String, Map<String, Limit>> named = new LinkedHashMap<>();
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return named;
        }
        expect(p, JsonToken.START_OBJECT, file, section + " must map names to limits");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            String complaint = check.apply(name);
            if (complaint != null) {
                throw new IllegalArgumentException(file + ":" + p.currentLocation().getLineNr() + ": " + section + ".["
                        + name + "] " + complaint + ". Fix: correct the name, or remove the entry.");
            }
            p.nextToken();
            named.put(name, readLimits(p, file, section + "." + name));
        }
        return named;
    }

    private static Map<String, Limit> readLimits(JsonParser p, String file, String path) throws IOException {
        Map<String, Limit> limits = new LinkedHashMap<>();
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return limits;
        }
        expect(p, JsonToken.START_OBJECT, file, path + " must map threshold keys to values");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            String origin = file + ":" + p.currentLocation().getLineNr();
            if (!value.isScalarValue()) {
                throw new IllegalArgumentException(origin + ": " + path + "." + key
                        + " must be a single value like 5ms or 20k. Fix: write it on one line.");
            }
            if (CAPABILITY.contains(key) && !path.equals("defaults") && !path.startsWith("pools.")) {
                throw new IllegalArgumentException(origin + ": " + path + "." + key + " bounds a storage capability "
                        + "check of a StorageClass (StorageCapabilitiesIT), which runs no profile. Fix: move it to "
                        + "defaults or pools.<StorageClass>.");
            }
            if (path.startsWith("jobs.") && WHOLE_TEST.contains(key)) {
                throw new IllegalArgumentException(origin + ": " + path + "." + key + " bounds the whole test (every "
                        + "job section of a VM, or the group), not one job section. Fix: move it to defaults, pools, "
                        + "profiles or blockSizes.");
            }
            limits.put(key, limit(key, p.getText(), origin + " (" + path + ")"));
        }
        return limits;
    }

    private static void expect(JsonParser p, JsonToken token, String file, String rule) {
        if (p.currentToken() != token) {
            throw new IllegalArgumentException(file + ":" + p.currentLocation().getLineNr() + ": " + rule
                    + ", found [" + p.currentToken() + "]. Fix: see the comment at the top of thresholds.yaml.");
        }
    }

    /** Parses one key and value; the message names origin, key, value, rule and fix. */
    static Limit limit(String key, String written, String origin) {
        if (!KEYS.contains(key)) {
            throw new IllegalArgumentException(origin + ": unknown threshold key [" + key + "]" + nearest(key, KEYS)
                    + ". Fix: use one of " + String.join(", ", KEYS) + ".");
        }
        Metric metric = Metric.bySpelling(key.substring(4));
        if (metric == Metric.OVERLAP || metric == Metric.IOPS_CV || metric == Metric.IOPS_DRIFT) {
            // the unit is required: a bare 0.95 could mean 0.95 % or 95 %, and the wrong reading disables the gate
            Matcher pct = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%").matcher(written.trim());
            String what = metric == Metric.OVERLAP ? "the share of the group's measured window in which every VM "
                    + "measured" : "the coefficient of variation of IOPS " + (metric == Metric.IOPS_CV ? "across VMs"
                    : "over time, per VM");
            if (!pct.matches() || Double.parseDouble(pct.group(1)) > 100) {
                throw new IllegalArgumentException(origin + ": " + key + " = [" + written + "] is not a percentage: "
                        + key + " is " + what + ", written with its unit %, from 0% to 100%. Fix: write it like "
                        + (metric == Metric.OVERLAP ? "95%" : "20%") + " (a bare number such as 0.95 could mean 0.95 % "
                        + "or 95 %).");
            }
            return new Limit(key, metric, metric == Metric.OVERLAP, Double.parseDouble(pct.group(1)) / 100,
                    written.trim(), origin);
        }
        boolean minimum = key.startsWith("min-");
        Matcher m = NUMBER.matcher(written.trim());
        Double value = m.matches() ? scale(metric, Double.parseDouble(m.group(1)), m.group(2)) : null;
        if (value == null) {
            throw new IllegalArgumentException(origin + ": " + key + " = [" + written + "] is not "
                    + example(metric) + ".");
        }
        return new Limit(key, metric, minimum, value, written.trim(), origin);
    }

    private static String example(Metric metric) {
        return switch (metric) {
            case IOPS -> "an I/O rate. Fix: write a count like 5000, 20k or 1.5M";
            case BW -> "a bandwidth. Fix: write it like 150MiB/s, 1.5GiB/s or 200MB/s";
            case VM_READY, GROUP_READY, SNAPSHOT_READY, RESTORE, CLONE, MIGRATION, EXPANSION ->
                    "a duration. Fix: write it like 500ms, 90s, 10m or 1h";
            case IO_STALL -> "a duration. Fix: write it like 500ms or 2s";
            default -> "a latency. Fix: write it like 800us, 5ms or 2s";
        };
    }

    private static Double scale(Metric metric, double n, String unit) {
        String u = unit.toLowerCase(Locale.ROOT);
        return switch (metric) {
            case IOPS -> switch (u) {
                case "" -> n;
                case "k" -> n * 1e3;
                case "m" -> n * 1e6;
                default -> null;
            };
            case BW -> switch (u) {
                case "b/s" -> n;
                case "kib/s" -> n * 1024;
                case "mib/s" -> n * 1024 * 1024;
                case "gib/s" -> n * 1024 * 1024 * 1024;
                case "kb/s" -> n * 1e3;
                case "mb/s" -> n * 1e6;
                case "gb/s" -> n * 1e9;
                default -> null;
            };
            case VM_READY, GROUP_READY, SNAPSHOT_READY, RESTORE, CLONE, MIGRATION, EXPANSION -> switch (u) {
                case "ms" -> n * 1e6;
                case "s" -> n * 1e9;
                case "m" -> n * 60e9;
                case "h" -> n * 3600e9;
                default -> null;
            };
            default -> switch (u) {
                case "ns" -> n;
                case "us" -> n * 1e3;
                case "ms" -> n * 1e6;
                case "s" -> n * 1e9;
                default -> null;
            };
        };
    }

    @Override
    public String toString() {
        return "Thresholds[defaults " + defaults.values() + ", pools " + pools.keySet() + ", profiles "
                + profiles.keySet() + ", blockSizes " + blockSizes.keySet() + ", jobs " + jobs.keySet()
                + ", overrides " + overrides.values() + "]";
    }
}
