#!/usr/bin/env bash
# Train every language model chapter 12 loads: two queues of about 80 minutes each, side by
# side on two cores (`make models`, or `bash scripts/book_models.sh word` and
# `bash scripts/book_models.sh char` in two shells). Each run is deterministic given its seed;
# the results land in rnnlib/models/*.json. A second command with --init-from continues a model
# with a lower, decaying learning rate (its history is kept and extended).
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
train() { python scripts/train_lm.py --no-progress "$@"; }

word() {
  local common=(--level word --min-count 3 --n-hidden 200 --tie --dropout 0.25 --bptt 32)
  train "${common[@]}" --split within_play --cell gru --epochs 12 --out rnnlib/models/word_gru_within_play
  train "${common[@]}" --split within_play --cell rnn --lr 2e-3 --schedule cosine --epochs 6 --out rnnlib/models/word_rnn_within_play
  train "${common[@]}" --split by_play --cell gru --schedule cosine --epochs 5 --out rnnlib/models/word_gru_by_play
  train "${common[@]}" --split by_play --cell rnn --lr 2e-3 --schedule cosine --epochs 5 --out rnnlib/models/word_rnn_by_play
}

char() {
  local common=(--level char --n-embed 32 --n-hidden 384 --dropout 0.1 --bptt 64)
  train "${common[@]}" --split within_play --cell gru --epochs 8 --out rnnlib/models/char_gru_within_play
  train "${common[@]}" --split within_play --cell gru --epochs 3 --lr 1e-3 --schedule cosine \
    --init-from rnnlib/models/char_gru_within_play --out rnnlib/models/char_gru_within_play
  train "${common[@]}" --split within_play --cell rnn --lr 2e-3 --schedule cosine --epochs 11 --out rnnlib/models/char_rnn_within_play
  train "${common[@]}" --split by_play --cell gru --schedule cosine --epochs 4 --out rnnlib/models/char_gru_by_play
  train "${common[@]}" --split by_play --cell gru --epochs 3 --lr 1e-3 --schedule cosine \
    --init-from rnnlib/models/char_gru_by_play --out rnnlib/models/char_gru_by_play
  train "${common[@]}" --split by_play --cell rnn --lr 2e-3 --schedule cosine --epochs 3 --out rnnlib/models/char_rnn_by_play
}

case "${1:-all}" in
  word) word ;;
  char) char ;;
  all) word; char ;;
  *) echo "usage: $0 [word|char|all]" >&2; exit 2 ;;
esac
