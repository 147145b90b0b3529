package dev.vmbench.config;

/**
 * A setting that cannot be used. The message names the key (and its environment variable), the offending
 * value, the rule it breaks and how to fix it.
 */
public final class ConfigException extends RuntimeException {
    ConfigException(BenchProperties.Key key, String value, String rule) {
        super("Setting " + key.name() + " (env " + key.env() + ") = [" + value + "] " + rule
                + ". Fix: set -D" + key.name() + "=<value> or " + key.env() + "=<value>; e.g. "
                + key.example() + ".");
    }

    public ConfigException(String message) {
        super(message);
    }
}
