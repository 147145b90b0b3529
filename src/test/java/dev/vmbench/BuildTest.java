package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The build's own promises, read from pom.xml: {@code -DskipTests} runs no test at all. */
class BuildTest {

    @Test
    void skipTestsAlsoSkipsTheStorageSuite() throws IOException {
        // Failsafe no longer reads -DskipTests by itself: without this binding `mvn -DskipTests install` runs the suite
        String pom = Files.readString(Path.of("pom.xml"));
        String failsafe = pom.substring(pom.lastIndexOf("<artifactId>maven-failsafe-plugin</artifactId>"));
        failsafe = failsafe.substring(0, failsafe.indexOf("</plugin>"));

        assertThat(failsafe).contains("<skipTests>${skipTests}</skipTests>");
        assertThat(pom).contains("<skipTests>false</skipTests>");
    }
}
