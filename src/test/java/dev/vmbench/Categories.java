package dev.vmbench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Sorts an Allure result into the categories of allure/categories.json, as Allure's report does. */
public final class Categories {

    private Categories() {
    }

    public static List<String> of(JsonNode allureResult) {
        JsonNode categories;
        try {
            categories = SuiteRun.json(Files.readString(Path.of("allure/categories.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String status = allureResult.path("status").asText();
        String message = allureResult.path("statusDetails").path("message").asText("");
        List<String> matched = new ArrayList<>();
        for (JsonNode category : categories) {
            boolean statusMatches = false;
            for (JsonNode s : category.path("matchedStatuses")) {
                statusMatches |= s.asText().equals(status);
            }
            if (statusMatches && Pattern.compile(category.path("messageRegex").asText()).matcher(message).matches()) {
                matched.add(category.path("name").asText());
            }
        }
        return matched;
    }
}
