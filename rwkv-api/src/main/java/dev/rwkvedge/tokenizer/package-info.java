/**
 * Text ↔ token ids for RWKV models: {@link dev.rwkvedge.tokenizer.ByteTokenizer} (vocab 256, the tiny test
 * models), {@link dev.rwkvedge.tokenizer.WorldTokenizer} (RWKV World, {@code rwkv_vocab_v20230424.txt}) and
 * {@link dev.rwkvedge.tokenizer.Neox20bTokenizer} (RWKV-4 Pile / Raven, {@code 20B_tokenizer.json}), chosen by
 * name or vocabulary size through {@link dev.rwkvedge.tokenizer.Tokenizers}. Everything here uses only the JDK.
 */
package dev.rwkvedge.tokenizer;
