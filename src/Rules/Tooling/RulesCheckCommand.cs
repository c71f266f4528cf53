using FraudStream.Rules.Compilation;

namespace FraudStream.Rules.Tooling;

/// <summary><c>fraudstream rules check FILE</c>: prints <c>path:line:col: code: message</c> per error.</summary>
public static class RulesCheckCommand
{
    /// <returns>0 when the file compiles, 1 on any error.</returns>
    public static int Run(string path, TextWriter output) => Run(path, output, null);

    public static int Run(string path, TextWriter output, RulesCompileOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(output);
        string text;
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
            var info = new FileInfo(fullPath);
            var limit = (options ?? RulesCompileOptions.Default).MaxSourceBytes;
            if (info.Exists && info.Length > 4L * limit)
            {
                // Far over the limit: say so without reading it all.
                output.WriteLine($"{path}:1:1: {DiagnosticCodes.TooLarge}: the rules file is {info.Length} bytes; the limit is {limit}");
                return 1;
            }

            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            output.WriteLine($"{path}:1:1: {DiagnosticCodes.Io}: {ex.Message}");
            return 1;
        }

        var effective = (options ?? RulesCompileOptions.Default) with
        {
            BaseDirectory = options?.BaseDirectory ?? Path.GetDirectoryName(fullPath),
        };
        if (!RulesCompiler.TryCompile(text, effective, out var ruleset, out var diagnostics))
        {
            foreach (var d in diagnostics)
            {
                output.WriteLine($"{path}:{d.Line}:{d.Column}: {d.Code}: {d.Message}");
            }

            output.WriteLine($"{path}: {diagnostics.Count} error(s)");
            return 1;
        }

        var shadow = ruleset.Rules.Count(r => r.Shadow);
        output.WriteLine($"{path}: ok: {ruleset.Rules.Count} rule(s) ({shadow} shadow), {ruleset.ListFiles.Count} list file(s), version {ruleset.Version}");
        return 0;
    }
}
