using System.Collections.Frozen;
using System.Runtime.CompilerServices;

namespace FraudStream.Rules.Runtime;

/// <summary>
/// The only methods compiled rules may call. Each one is total: missing inputs (NaN, null) give a
/// defined answer and nothing here throws, so a rule that compiled can always run.
/// </summary>
public static class RuleFunctions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Divide(double left, double right) => right == 0 ? double.NaN : left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Modulo(double left, double right) => right == 0 ? double.NaN : left % right;

    /// <summary>True only when both are present and differ; a missing operand makes every comparison false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NotEqual(double left, double right) => left < right || left > right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StringEquals(string? left, string? right) =>
        left is not null && right is not null && string.Equals(left, right, StringComparison.Ordinal);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StringNotEquals(string? left, string? right) =>
        left is not null && right is not null && !string.Equals(left, right, StringComparison.Ordinal);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Between(double value, double low, double high) => value >= low && value <= high;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool NotBetween(double value, double low, double high) =>
        !double.IsNaN(value) && !double.IsNaN(low) && !double.IsNaN(high) && (value < low || value > high);

    public static bool InStrings(FrozenSet<string> set, string? value) => value is not null && set.Contains(value);

    public static bool NotInStrings(FrozenSet<string> set, string? value) => value is not null && !set.Contains(value);

    public static bool InNumbers(FrozenSet<double> set, double value) => !double.IsNaN(value) && set.Contains(value);

    public static bool NotInNumbers(FrozenSet<double> set, double value) => !double.IsNaN(value) && !set.Contains(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsMissing(double value) => double.IsNaN(value);

    /// <summary>Natural logarithm; zero and negative inputs have none, so they are missing.</summary>
    public static double Log(double value) => value > 0 ? Math.Log(value) : double.NaN;

    public static double Round(double value) => Math.Round(value, MidpointRounding.AwayFromZero);

    public static double Coalesce(double value, double fallback) => double.IsNaN(value) ? fallback : value;

    public static string? Coalesce(string? value, string? fallback) => value ?? fallback;

    public static double Hour(DateTime timestamp) => timestamp.Hour;

    /// <summary>ISO day of week: Monday = 1 … Sunday = 7.</summary>
    public static double DayOfWeek(DateTime timestamp) => timestamp.DayOfWeek == System.DayOfWeek.Sunday ? 7 : (int)timestamp.DayOfWeek;

    public static double Length(string? value) => value is null ? double.NaN : value.Length;

    public static bool StartsWith(string? value, string? prefix) =>
        value is not null && prefix is not null && value.StartsWith(prefix, StringComparison.Ordinal);

    public static bool EndsWith(string? value, string? suffix) =>
        value is not null && suffix is not null && value.EndsWith(suffix, StringComparison.Ordinal);

    public static bool Contains(string? value, string? part) =>
        value is not null && part is not null && value.Contains(part, StringComparison.Ordinal);
}
