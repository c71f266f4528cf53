using System.Text;
using FraudStream.Core.Contracts;

namespace FraudStream.Core.Tests.Contracts;

public sealed class LabelJsonTests
{
    [Fact]
    public void A_valid_label_parses()
    {
        Assert.True(LabelJson.TryParse(Encoding.UTF8.GetBytes("{\"id\":\"tx-1\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}"),
            out var label, out var error), error);
        Assert.Equal("tx-1", label!.Id);
        Assert.True(label.Fraud);
        Assert.Equal(new DateTime(2026, 11, 2, 8, 0, 0, DateTimeKind.Utc), label.ReportedAt);
    }

    [Theory]
    [InlineData("{\"id\":\"tx\\u0000\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx\\ud800\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx-1\",\"fraud\":\"yes\",\"reported_at\":\"2026-11-02T08:00:00Z\"}")]
    [InlineData("{\"id\":\"tx-1\",\"fraud\":true}")]
    [InlineData("{\"id\":")]
    public void Labels_no_store_could_keep_are_refused_with_a_reason_not_an_exception(string json)
    {
        Assert.False(LabelJson.TryParse(Encoding.UTF8.GetBytes(json), out var label, out var error));
        Assert.Null(label);
        Assert.False(string.IsNullOrEmpty(error));
    }

    /// <summary>
    /// Found by the hostile corpus: a label id had no length limit. PostgreSQL refuses an index entry over ~2.7 kB
    /// (SQLSTATE 54000), and a refused label is retried for ever, which stopped every later label. A transaction id is
    /// 1 to 256 characters, so a longer label id could never name one.
    /// </summary>
    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    [InlineData(5000, false)]
    public void A_label_id_is_at_most_256_characters(int length, bool valid)
    {
        var json = $"{{\"id\":\"{new string('x', length)}\",\"fraud\":true,\"reported_at\":\"2026-11-02T08:00:00Z\"}}";
        Assert.Equal(valid, LabelJson.TryParse(Encoding.UTF8.GetBytes(json), out var label, out var error));
        Assert.Equal(valid, label is not null);
        Assert.Equal(valid, error is null);
    }
}
