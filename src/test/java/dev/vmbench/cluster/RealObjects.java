package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vmbench.cluster.ObservedState.Event;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The objects copied from real clusters ({@code src/test/resources/real-status}) as maps: YAML and JSON as they are,
 * {@code kubectl describe} text read back into an object, and the event tables as events.
 */
public final class RealObjects {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private RealObjects() {
    }

    public static String read(String file) throws IOException {
        try (InputStream in = RealObjects.class.getResourceAsStream("/real-status/" + file)) {
            assertThat(in).as(file).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    public static String stateLine(String text) {
        return text.lines().filter(l -> l.startsWith("# state: ")).findFirst().orElse("").substring(9);
    }

    /**
     * A YAML or JSON object (the first of a list), or the fields of {@code kubectl describe} text; a fragment of a
     * status alone (no metadata, spec or status of its own) is read as the status.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String file, String text) throws IOException {
        if (file.startsWith("event-")) {
            return Map.of();
        }
        Map<String, Object> object;
        if (file.endsWith(".yaml")) {
            Object parsed = YAML.readValue(text, Object.class);
            object = (Map<String, Object>) (parsed instanceof List<?> l ? l.get(0) : parsed);
        } else {
            object = describe(text);
        }
        return object.keySet().stream().anyMatch(k -> List.of("metadata", "spec", "status").contains(k)) ? object
                : Map.of("status", object);
    }

    /**
     * {@code kubectl describe} text as an object: nested by indentation, keys in camel case ("Ready To Use" →
     * readyToUse), a key's bare lines as a list, Conditions as a list of maps (a condition starts again where a key
     * repeats). A PVC's top-level "Status: Pending" is its phase. The Events table is read apart.
     */
    private static Map<String, Object> describe(String text) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object[]> stack = new ArrayList<>(); // {indent, container}
        stack.add(new Object[] {-1, root});
        for (String line : text.lines().toList()) {
            if (line.startsWith("#") || line.isBlank() || line.startsWith("Events:")) {
                if (line.startsWith("Events:")) {
                    break;
                }
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            String body = line.strip();
            while ((int) stack.get(stack.size() - 1)[0] >= indent) {
                stack.remove(stack.size() - 1);
            }
            Object parent = stack.get(stack.size() - 1)[1];
            int colon = body.indexOf(':');
            if (colon < 0 || body.startsWith("(")) {
                if (parent instanceof List<?> items) {
                    @SuppressWarnings("unchecked")
                    List<Object> values = (List<Object>) items;
                    values.add(body);
                }
                continue;
            }
            String key = camel(body.substring(0, colon));
            String value = body.substring(colon + 1).strip();
            if (parent instanceof ConditionList conditions) {
                if (conditions.isEmpty() || conditions.get(conditions.size() - 1).containsKey(key)) {
                    conditions.add(new LinkedHashMap<>());
                }
                conditions.get(conditions.size() - 1).put(key, value);
                continue;
            }
            if (!(parent instanceof Map<?, ?> map)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> into = (Map<String, Object>) map;
            if (!value.isEmpty()) {
                into.put(key, scalar(value));
                continue;
            }
            Object child = key.equals("conditions") ? new ConditionList() : key.equals("indications")
                    ? new ArrayList<>() : new LinkedHashMap<String, Object>();
            into.put(key, child);
            stack.add(new Object[] {indent, child});
        }
        if (root.get("status") instanceof String phase) {
            root.put("status", Map.of("phase", phase));
        }
        return root;
    }

    private static final class ConditionList extends ArrayList<Map<String, Object>> {
    }

    private static Object scalar(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> value;
        };
    }

    private static String camel(String words) {
        StringBuilder out = new StringBuilder();
        for (String word : words.strip().split("\\s+")) {
            out.append(out.length() == 0 ? word.toLowerCase(Locale.ROOT) : word.substring(0, 1).toUpperCase(
                    Locale.ROOT) + word.substring(1));
        }
        return out.toString();
    }

    /** The events of a describe's Events table or of a {@code kubectl get events} table, by the header's columns. */
    public static List<Event> events(String text) {
        List<String> lines = text.lines().filter(l -> !l.startsWith("#")).toList();
        for (int i = 0; i < lines.size(); i++) {
            String header = lines.get(i).toUpperCase(Locale.ROOT);
            int type = header.indexOf("TYPE");
            if (type < 0 || !header.contains("REASON") || !header.contains("MESSAGE")) {
                continue;
            }
            List<Event> events = new ArrayList<>();
            for (String row : lines.subList(i + 1, lines.size())) {
                if (row.isBlank() || row.strip().startsWith("----")) {
                    continue;
                }
                // cells are at least two spaces apart (a header's "LAST SEEN" is one column)
                String[] columns = row.strip().split("\\s{2,}");
                int at = header.substring(0, type).strip().isEmpty() ? 0 : indexOfColumn(header, type);
                events.add(new Event(columns[at], columns.length > at + 1 ? columns[at + 1] : "",
                        columns[columns.length - 1]));
            }
            return events;
        }
        return List.of();
    }

    /** Which column (counting from 0) starts at {@code position} of the header. */
    private static int indexOfColumn(String header, int position) {
        return header.substring(0, position).strip().split("\\s{2,}").length;
    }
}
