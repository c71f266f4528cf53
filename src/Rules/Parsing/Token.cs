namespace FraudStream.Rules.Parsing;

public enum TokenKind
{
    EndOfFile,
    Identifier,
    Number,
    String,
    ListReference,

    // Reserved words.
    List,
    Rule,
    Shadow,
    If,
    And,
    Or,
    Not,
    In,
    Between,
    Is,
    Missing,
    True,
    False,

    // Punctuation and operators.
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    Assign,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,

    /// <summary>A character the language does not use; the lexer already reported it.</summary>
    Invalid,
}

/// <summary>One token; <see cref="Text"/> is the identifier, the string's value or the number's spelling.</summary>
public readonly record struct Token(TokenKind Kind, string Text, double Number, SourcePosition Position, int Offset, int Length);
