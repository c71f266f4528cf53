using FraudStream.Rules.Parsing;

namespace FraudStream.Rules.Compilation;

/// <summary>One problem in a rules file. <see cref="Code"/> is stable: tools and tests match on it.</summary>
public sealed record RuleDiagnostic(int Line, int Column, string Code, string Message)
{
    public override string ToString() => $"{Line}:{Column}: {Code}: {Message}";
}

/// <summary>The stable diagnostic codes; docs/rules.md lists each with an example.</summary>
public static class DiagnosticCodes
{
    public const string Syntax = "syntax";
    public const string UnexpectedCharacter = "unexpected_character";
    public const string UnterminatedString = "unterminated_string";
    public const string InvalidNumber = "invalid_number";
    public const string UnknownName = "unknown_name";
    public const string UnknownFunction = "unknown_function";
    public const string UnknownList = "unknown_list";
    public const string UnknownAction = "unknown_action";
    public const string TypeMismatch = "type_mismatch";
    public const string WrongArgumentCount = "wrong_argument_count";
    public const string DuplicateRule = "duplicate_rule";
    public const string DuplicateList = "duplicate_list";
    public const string InvalidName = "invalid_name";
    public const string ListFile = "list_file";
    public const string TooLarge = "too_large";
    public const string TooManyRules = "too_many_rules";
    public const string TooDeep = "too_deep";
    public const string TooManyErrors = "too_many_errors";
    public const string Io = "io_error";
}

/// <summary>Collects diagnostics across the phases, capped so a garbage file cannot flood the output.</summary>
public sealed class DiagnosticBag
{
    public const int MaxDiagnostics = 100;

    private readonly List<RuleDiagnostic> _items = [];

    public int Count => _items.Count;

    public bool HasErrors => _items.Count > 0;

    public void Add(SourcePosition position, string code, string message)
    {
        if (_items.Count < MaxDiagnostics)
        {
            _items.Add(new RuleDiagnostic(position.Line, position.Column, code, message));
        }
        else if (_items.Count == MaxDiagnostics)
        {
            _items.Add(new RuleDiagnostic(position.Line, position.Column, DiagnosticCodes.TooManyErrors, $"more than {MaxDiagnostics} errors; stopped reporting"));
        }
    }

    public IReadOnlyList<RuleDiagnostic> ToSortedList()
    {
        var copy = new List<RuleDiagnostic>(_items);
        // Stable order by position keeps the first error of a line first.
        return [.. copy.Select((d, i) => (d, i)).OrderBy(x => x.d.Line).ThenBy(x => x.d.Column).ThenBy(x => x.i).Select(x => x.d)];
    }
}

/// <summary>Thrown by <see cref="RulesCompiler.Compile"/>; carries every diagnostic.</summary>
public sealed class RulesCompileException : Exception
{
    public RulesCompileException()
        : this([])
    {
    }

    public RulesCompileException(string message)
        : base(message)
    {
        Diagnostics = [];
    }

    public RulesCompileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Diagnostics = [];
    }

    public RulesCompileException(IReadOnlyList<RuleDiagnostic> diagnostics)
        : base(Describe(diagnostics))
    {
        Diagnostics = diagnostics;
    }

    public IReadOnlyList<RuleDiagnostic> Diagnostics { get; }

    private static string Describe(IReadOnlyList<RuleDiagnostic> diagnostics) =>
        diagnostics.Count == 0
            ? "the rules did not compile"
            : $"the rules did not compile ({diagnostics.Count} error(s)); first: {diagnostics[0]}";
}
