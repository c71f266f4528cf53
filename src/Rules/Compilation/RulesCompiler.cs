using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using FraudStream.Rules.Ast;
using FraudStream.Rules.Parsing;
using FraudStream.Rules.Runtime;

namespace FraudStream.Rules.Compilation;

/// <summary>
/// Text to <see cref="Ruleset"/>: tokenize, parse, load lists, bind and type-check, order by cost,
/// lower to expression trees, compile to delegates. Either everything checks or nothing compiles.
/// </summary>
public static class RulesCompiler
{
    public static Ruleset Compile(string text, RulesCompileOptions? options = null)
    {
        if (!TryCompile(text, options ?? RulesCompileOptions.Default, out var ruleset, out var diagnostics))
        {
            throw new RulesCompileException(diagnostics);
        }

        return ruleset;
    }

    public static bool TryCompile(string text, RulesCompileOptions options, [NotNullWhen(true)] out Ruleset? ruleset, out IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        ruleset = null;
        var bag = new DiagnosticBag();
        var size = Encoding.UTF8.GetByteCount(text);
        if (size > options.MaxSourceBytes)
        {
            bag.Add(new SourcePosition(1, 1), DiagnosticCodes.TooLarge, $"the rules file is {size} bytes; the limit is {options.MaxSourceBytes}");
            diagnostics = bag.ToSortedList();
            return false;
        }

        var tokens = new Lexer(text, bag).Tokenize();
        var syntax = new Parser(text, tokens, bag, options.MaxDepth).ParseFile();
        if (syntax.Rules.Count > options.MaxRules)
        {
            var extra = syntax.Rules[options.MaxRules];
            bag.Add(extra.Position, DiagnosticCodes.TooManyRules, $"{syntax.Rules.Count} rules; the limit is {options.MaxRules}");
        }

        if (syntax.Lists.Count > options.MaxLists)
        {
            var extra = syntax.Lists[options.MaxLists];
            bag.Add(extra.Position, DiagnosticCodes.TooManyRules, $"{syntax.Lists.Count} lists; the limit is {options.MaxLists}");
        }

        var lists = LoadLists(syntax.Lists, options, bag, out var listContents);
        var features = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.FeatureNames.Count; i++)
        {
            features.TryAdd(options.FeatureNames[i], i);
        }

        var binder = new Binder(features, lists, bag);
        var bound = new List<(RuleDeclaration Rule, BoundExpression Condition)>(syntax.Rules.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in syntax.Rules)
        {
            if (!names.Add(rule.Name))
            {
                bag.Add(rule.Position, DiagnosticCodes.DuplicateRule, $"a rule named '{rule.Name}' is already defined; rule names must be unique");
            }

            bound.Add((rule, binder.BindCondition(rule)));
        }

        if (bag.HasErrors)
        {
            diagnostics = bag.ToSortedList();
            return false;
        }

        var infos = new RuleInfo[bound.Count];
        var rules = new CompiledRule[bound.Count];
        var ordered = new BoundExpression[bound.Count];
        for (var i = 0; i < bound.Count; i++)
        {
            var (rule, condition) = bound[i];
            ordered[i] = CostOrdering.Reorder(condition);
            rules[i] = new CompiledRule(rule.Name, rule.Action, rule.Shadow);
            infos[i] = new RuleInfo(i, rule.Name, rule.Action, rule.Shadow, rule.Position.Line, rule.Text, ordered[i].Cost);
        }

        var chunks = new Func<RuleContext, ulong>[(bound.Count + ExpressionLowering.RulesPerChunk - 1) / ExpressionLowering.RulesPerChunk];
        for (var c = 0; c < chunks.Length; c++)
        {
            var start = c * ExpressionLowering.RulesPerChunk;
            var count = Math.Min(ExpressionLowering.RulesPerChunk, bound.Count - start);
            chunks[c] = ExpressionLowering.LowerChunk(new ArraySegment<BoundExpression>(ordered, start, count), c).Compile();
        }

        var listFiles = lists.Values.Where(l => l.FilePath is not null).Select(l => l.FilePath!).Distinct().ToArray();
        ruleset = new Ruleset(ComputeVersion(text, listContents), text, infos, rules, chunks, listFiles, [.. options.FeatureNames]);
        diagnostics = [];
        return true;
    }

    /// <summary>First 12 hex digits of SHA-256 over the text and each list's name and contents.</summary>
    public static string ComputeVersion(string text, IReadOnlyList<(string Name, byte[] Content)> lists)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lists);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(text));
        foreach (var (name, content) in lists)
        {
            hash.AppendData("\0list\0"u8);
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData("\0"u8);
            hash.AppendData(content);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }

    private static Dictionary<string, BoundList> LoadLists(
        IReadOnlyList<ListDeclaration> declarations,
        RulesCompileOptions options,
        DiagnosticBag bag,
        out List<(string Name, byte[] Content)> contents)
    {
        var lists = new Dictionary<string, BoundList>(StringComparer.Ordinal);
        contents = [];
        foreach (var declaration in declarations)
        {
            if (lists.ContainsKey(declaration.Name))
            {
                bag.Add(declaration.Position, DiagnosticCodes.DuplicateList, $"a list named '{declaration.Name}' is already defined");
                continue;
            }

            BoundList? list;
            if (declaration.Items is { } items)
            {
                list = Binder.BindInlineList(declaration.Name, items, declaration.SourcePosition, bag);
                if (list is not null && list.Count > options.MaxListItems)
                {
                    bag.Add(declaration.SourcePosition, DiagnosticCodes.TooLarge, $"list '{declaration.Name}' has {list.Count} items; the limit is {options.MaxListItems}");
                    list = null;
                }
            }
            else
            {
                list = LoadListFile(declaration, options, bag, contents);
            }

            if (list is not null)
            {
                lists[declaration.Name] = list;
            }
        }

        return lists;
    }

    private static BoundList? LoadListFile(ListDeclaration declaration, RulesCompileOptions options, DiagnosticBag bag, List<(string Name, byte[] Content)> contents)
    {
        var position = declaration.SourcePosition;
        if (options.BaseDirectory is null)
        {
            bag.Add(position, DiagnosticCodes.ListFile, $"list '{declaration.Name}' reads a file, but these rules were not loaded from a directory");
            return null;
        }

        string fullPath;
        try
        {
            var baseDirectory = Path.GetFullPath(options.BaseDirectory);
            fullPath = Path.GetFullPath(Path.Combine(baseDirectory, declaration.FilePath!));
            var root = baseDirectory.EndsWith(Path.DirectorySeparatorChar) ? baseDirectory : baseDirectory + Path.DirectorySeparatorChar;
            if (!fullPath.StartsWith(root, StringComparison.Ordinal))
            {
                bag.Add(position, DiagnosticCodes.ListFile, $"list file '{declaration.FilePath}' is outside the rules directory");
                return null;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            bag.Add(position, DiagnosticCodes.ListFile, $"list file path '{declaration.FilePath}' is not valid: {ex.Message}");
            return null;
        }

        byte[] bytes;
        try
        {
            var info = new FileInfo(fullPath);
            if (!info.Exists)
            {
                bag.Add(position, DiagnosticCodes.ListFile, $"list file '{declaration.FilePath}' not found (looked at {fullPath})");
                return null;
            }

            if (info.Length > options.MaxListFileBytes)
            {
                bag.Add(position, DiagnosticCodes.TooLarge, $"list file '{declaration.FilePath}' is {info.Length} bytes; the limit is {options.MaxListFileBytes}");
                return null;
            }

            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            bag.Add(position, DiagnosticCodes.ListFile, $"list file '{declaration.FilePath}' cannot be read: {ex.Message}");
            return null;
        }

        // One entry a line; blank lines and '#' comments are skipped. Entries are strings.
        var items = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rawLine in Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            items.Add(line);
        }

        if (items.Count > options.MaxListItems)
        {
            bag.Add(position, DiagnosticCodes.TooLarge, $"list file '{declaration.FilePath}' has {items.Count} entries; the limit is {options.MaxListItems}");
            return null;
        }

        contents.Add((declaration.Name, bytes));
        return new BoundList(declaration.Name, RuleType.String, items.ToFrozenSet(StringComparer.Ordinal), items.Count, fullPath);
    }
}
