package dev.rwkvedge.cli;

import dev.rwkvedge.RwkvException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * {@code rwkv-edge}: the command line. Bad input (a file that is not a model, a truncated file, an unknown name)
 * ends with one line on stderr naming what is wrong and exit code 2; an internal failure with exit code 1;
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "rwkv-edge", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run and compress RWKV language models on small CPUs.",
        subcommands = {InspectCommand.class, LogitsCommand.class, CompressCommand.class, EvalCommand.class,
                ConvertCommand.class, SynthCommand.class, GenerateCommand.class, TokenizeCommand.class,
                BenchCommand.class, PluginsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code for bad input: files, names, parameters. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit code for internal failures. */
    public static final int EXIT_INTERNAL = 1;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        Logging.configure(java.util.Arrays.asList(args).contains("--verbose") || java.util.Arrays.asList(args).contains("-v"));
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = main.verbose || parseResult.hasMatchedOption("--verbose");
            int code = isBadInput(ex) ? EXIT_BAD_INPUT : EXIT_INTERNAL;
            String msg = ex instanceof dev.rwkvedge.pipeline.PipelineException ? ex.getMessage() : describe(ex);
            err.println("rwkv-edge: " + (code == EXIT_INTERNAL ? "internal error: " : "") + msg);
            if (verbose) {
                ex.printStackTrace(err);
            } else if (code == EXIT_INTERNAL) {
                err.println("(run again with --verbose for the stack trace)");
            }
            err.flush();
            return code;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("rwkv-edge: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static boolean isBadInput(Throwable ex) {
        return ex instanceof RwkvException || ex instanceof IOException || ex instanceof IllegalArgumentException;
    }

    /** One line: the message, with the file named for file-system errors. */
    static String describe(Throwable ex) {
        if (ex instanceof NoSuchFileException e) {
            return e.getFile() + ": no such file";
        }
        if (ex instanceof AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        }
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        return msg.replace('\n', ' ');
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"rwkv-edge " + (v == null ? "dev" : v), "Java " + Runtime.version()};
        }
    }
}
