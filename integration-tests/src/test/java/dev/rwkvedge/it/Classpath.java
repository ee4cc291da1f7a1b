package dev.rwkvedge.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds module jars (or class folders) on the test classpath and runs child JVMs with chosen classpaths. */
final class Classpath {
    private Classpath() {
    }

    static List<String> entries() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /**
     * The main (not test) output of a project module, e.g. {@code rwkv-api}: {@code rwkv-api/target/classes} in a
     * reactor build, or the installed {@code rwkv-api-<version>.jar}.
     */
    static String module(String artifact) {
        for (String e : entries()) {
            Path p = Path.of(e);
            String file = p.getFileName().toString();
            boolean reactorClasses = file.equals("classes") && p.getParent() != null && p.getParent().getParent() != null
                    && p.getParent().getParent().getFileName().toString().equals(artifact);
            boolean jar = file.startsWith(artifact + "-") && file.endsWith(".jar") && !file.endsWith("-tests.jar")
                    && Character.isDigit(file.charAt(artifact.length() + 1));
            if (reactorClasses || jar) {
                return e;
            }
        }
        throw new AssertionError("module " + artifact + " is not on the test classpath: " + entries());
    }

    /** The java launcher of the running JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    record Result(int code, String out, String err) {
    }

    /** Runs {@code main} in a child JVM with exactly {@code classpath}; fails after 5 minutes. */
    static Result run(List<String> classpath, String main, Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-cp", String.join(File.pathSeparator, classpath), main));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM timed out: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
