"""Checkers for the exercises.

Each ``check_*`` runs a student's function on cases chosen to catch the classic mistakes,
raises ``AssertionError`` with a message that names the mistake when it is one of those the
checker knows (and otherwise says what is wrong), and prints one plain line when everything
passes. A function that is not written yet, raises, or runs longer than ``TIME_LIMIT`` seconds
gets a message that says so instead of a traceback from inside the checker (the time limit
needs Unix and the main thread; elsewhere a call runs without one).

The modules are named after the chapter or lab they serve (``ch03_ngrams``,
``lab09_grus_and_scan``); the diagnosis they share (what counts as equal, reading a result,
shape hints, calling the student's function under a time limit) is written once, in
``_common``.
"""

from ._common import TIME_LIMIT
from .ch01_networks import check_dense_backward, check_sigmoid, check_softmax
from .ch02_assignment import (check_build_vocab, check_classifier_forward, check_dense_forward,
                              check_evaluate, check_max_length, check_mean_pool,
                              check_pad_truncate, check_relu, check_train_epoch)
from .ch03_ngrams import check_add_k_prob, check_bigram_mle, check_perplexity
from .ch04_recurrent import check_bracket_counter, check_rnn_forward_loop
from .ch05_applications import check_last_real_state, check_temperature_softmax
from .ch06_rnn_math import check_rnn_param_count, check_rnn_step
from .lab06_hidden_state import (check_concatenate_weights, check_rnn_step_concat,
                                 check_run_sequence, check_saturation)
from .ch07_sequence_loss import check_clip_by_global_norm, check_masked_cross_entropy
from .ch08_scan import check_ema, check_scan
from .ch09_gru_memory import check_memory_gru, check_update_gate_conversion
from .lab09_grus_and_scan import check_gru_param_count, check_gru_step, check_run_with_scan
from .ch10_deep_bidirectional import (check_bidirectional_gru, check_reverse_padded,
                                      check_stack_param_count)
from .ch11_perplexity import check_masked_perplexity, check_rescale_perplexity
from .lab11_perplexity import check_log_perplexity, check_model_perplexity
from .ch12_language_models import check_lm_param_count, check_overtaking_point

__all__ = ["TIME_LIMIT", "check_add_k_prob", "check_bidirectional_gru", "check_bigram_mle",
           "check_bracket_counter", "check_build_vocab", "check_classifier_forward",
           "check_clip_by_global_norm", "check_concatenate_weights", "check_dense_backward",
           "check_dense_forward", "check_ema", "check_evaluate", "check_gru_param_count",
           "check_gru_step", "check_last_real_state", "check_lm_param_count",
           "check_log_perplexity", "check_masked_cross_entropy", "check_masked_perplexity",
           "check_max_length", "check_mean_pool", "check_memory_gru", "check_model_perplexity",
           "check_overtaking_point", "check_pad_truncate", "check_perplexity", "check_relu",
           "check_rescale_perplexity", "check_reverse_padded", "check_rnn_forward_loop",
           "check_rnn_param_count", "check_rnn_step", "check_rnn_step_concat", "check_run_sequence",
           "check_run_with_scan", "check_saturation", "check_scan", "check_sigmoid",
           "check_softmax", "check_stack_param_count", "check_temperature_softmax",
           "check_train_epoch", "check_update_gate_conversion"]
