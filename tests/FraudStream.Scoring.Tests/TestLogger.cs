using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FraudStream.Scoring.Tests;

/// <summary>Collects log lines so tests can assert on warnings.</summary>
public sealed class TestLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public bool Warned(string fragment) =>
        Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase));
}
