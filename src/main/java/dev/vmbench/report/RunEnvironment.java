package dev.vmbench.report;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a reviewer needs to know about where a run ran — cluster, KubeVirt and CDI versions, StorageClasses,
 * nodes, the guests' fio — gathered as the run learns it and written to Allure's
 * {@code environment.properties} when the run ends (Allure's writer does not replace files).
 */
public final class RunEnvironment {

    private final Map<String, String> facts = new LinkedHashMap<>();

    public synchronized void putAll(Map<String, String> more) {
        facts.putAll(more);
    }

    /** Writes {@code environment.properties}; once, at the end of the run. */
    public synchronized void write() {
        AllureReport.environment(facts);
    }

    public synchronized void put(String key, String value) {
        putAll(Map.of(key, value));
    }
}
