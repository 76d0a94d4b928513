// EPUBCheck on many EPUBs in one JVM, for bench.py --epubcheck: a JVM's start and
// warm-up cost more than checking a short EPUB (8 s against 1 s), and the corpus has
// hundreds. Run in Java's source-file mode beside the jar the `epubcheck` package
// bundles: java -cp epubcheck.jar EpubCheckBatch.java
// Reads one request a line on stdin: EPUBCheck's own arguments, tab-separated (each
// run is EpubChecker.run(args), what the jar's main does, without System.exit). Answers
// each with the line "EPUBCHECK-DONE <exit code>" on stdout; EPUBCheck's own console
// output goes to stderr, so nothing else is ever on stdout.
import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public class EpubCheckBatch {
    public static void main(String[] ignored) throws Exception {
        PrintStream answers = new PrintStream(System.out, true, "UTF-8");
        System.setOut(System.err);
        BufferedReader requests = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = requests.readLine()) != null) {
            int code;
            try {
                code = new EpubChecker().run(line.split("\t"));
            } catch (Throwable e) {
                e.printStackTrace();
                code = -1;
            }
            answers.println("EPUBCHECK-DONE " + code);
        }
    }
}
