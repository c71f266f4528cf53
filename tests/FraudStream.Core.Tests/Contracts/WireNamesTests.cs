using System.Text;
using System.Text.Json;
using FraudStream.Core.Contracts;

namespace FraudStream.Core.Tests.Contracts;

/// <summary>The one mapping of decisions, channels and reasons to their wire and stored forms.</summary>
public sealed class WireNamesTests
{
    [Theory]
    [InlineData(DecisionKind.Approve, "approve")]
    [InlineData(DecisionKind.Review, "review")]
    [InlineData(DecisionKind.Decline, "decline")]
    public void Each_decision_has_one_name_in_text_and_utf8_and_parses_back(DecisionKind kind, string name)
    {
        Assert.Equal(name, kind.ToWire());
        Assert.Equal(name, Encoding.UTF8.GetString(kind.ToUtf8()));
        Assert.True(DecisionKindNames.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.True(DecisionKindNames.Is(name, kind));
        Assert.Equal((true, (int)kind), ReadString(name, static (ref Utf8JsonReader r) => (DecisionKindNames.TryRead(ref r, out var k), (int)k)));
    }

    [Theory]
    [InlineData(PaymentChannel.Pos, "pos")]
    [InlineData(PaymentChannel.Ecom, "ecom")]
    [InlineData(PaymentChannel.Atm, "atm")]
    public void Each_known_channel_has_one_name_in_text_and_utf8_and_parses_back(PaymentChannel channel, string name)
    {
        Assert.Equal(name, channel.ToWire());
        Assert.Equal(name, Encoding.UTF8.GetString(channel.ToUtf8()));
        Assert.True(PaymentChannelNames.TryParse(name, out var parsed));
        Assert.Equal(channel, parsed);
        Assert.Equal(channel, PaymentChannelNames.FromWire(name));
        Assert.Equal((true, (int)channel), ReadString(name, ReadChannel));
    }

    [Fact]
    public void An_unknown_channel_has_no_name_and_unknown_names_are_refused()
    {
        Assert.Null(PaymentChannel.Unknown.ToWire());
        Assert.True(PaymentChannel.Unknown.ToUtf8().IsEmpty);
        Assert.False(PaymentChannelNames.TryParse("fax", out _));
        Assert.False(PaymentChannelNames.TryParse("POS", out _));
        Assert.False(PaymentChannelNames.TryParse(null, out _));
        Assert.Equal(PaymentChannel.Unknown, PaymentChannelNames.FromWire(null));
        Assert.False(ReadString("fax", ReadChannel).Found);
        Assert.Equal("pos, ecom or atm", PaymentChannelNames.Listed);
    }

    [Fact]
    public void Unknown_decision_names_are_refused_and_an_undefined_value_has_no_name()
    {
        Assert.False(DecisionKindNames.TryParse("Review", out _));
        Assert.False(DecisionKindNames.Is(null, DecisionKind.Approve));
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DecisionKind)7).ToWire());
        Assert.Equal("approve, review or decline", DecisionKindNames.Listed);
    }

    [Fact]
    public void A_json_escaped_name_matches_like_the_plain_one()
    {
        Assert.Equal((true, (int)PaymentChannel.Ecom), ReadString("\\u0065com", ReadChannel));
    }

    [Fact]
    public void Stored_reasons_split_back_into_the_list_they_were_joined_from()
    {
        List<string> reasons = ["velocity", "model.review", "card.count_1m"];
        var stored = StoredReasons.Join(reasons);
        Assert.Equal("velocity|model.review|card.count_1m", stored);
        Assert.Equal(reasons, StoredReasons.Split(stored));
        Assert.Equal("", StoredReasons.Join([]));
        Assert.Empty(StoredReasons.Split(""));
        Assert.Empty(StoredReasons.Split(null));
    }

    private delegate (bool Found, int Value) ReadToken(ref Utf8JsonReader reader);

    private static (bool Found, int Value) ReadChannel(ref Utf8JsonReader reader) => (PaymentChannelNames.TryRead(ref reader, out var c), (int)c);

    /// <summary>Positions a reader on a JSON string token holding <paramref name="jsonText"/> (JSON escapes allowed).</summary>
    private static (bool Found, int Value) ReadString(string jsonText, ReadToken read)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes("\"" + jsonText + "\""));
        Assert.True(reader.Read());
        return read(ref reader);
    }
}
