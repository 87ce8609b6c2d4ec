"""An LSTM part-of-speech tagger in the style of the "Sequence Models and Long Short-Term
Memory Networks" tutorial: ``prepare_sequence``, word_to_ix built in a loop, an
Embedding -> LSTM -> Linear -> log_softmax model fed one sentence at a time as
``embeds.view(len(sentence), 1, -1)``, NLLLoss, SGD(lr=0.1), scores printed under
``torch.no_grad()``. Data: tagged sentences from a tiny grammar generated here."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1)
random.seed(1)


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


DETS = ["the", "a", "every", "that"]
NOUNS = ["dog", "cat", "apple", "book", "girl", "teacher", "river"]
VERBS = ["ate", "read", "saw", "liked", "crossed", "found"]
# "that" and "read" are ambiguous in general text; here they are DET and V


def make_sentence():
    words = [random.choice(DETS), random.choice(NOUNS), random.choice(VERBS),
             random.choice(DETS), random.choice(NOUNS)]
    tags = ["DET", "NN", "V", "DET", "NN"]
    if random.random() < 0.5:  # drop the object's determiner sometimes
        del words[3], tags[3]
    return words, tags


training_data = [make_sentence() for _ in range(40)]
test_data = [make_sentence() for _ in range(20)]

word_to_ix = {}
# For each words-list (sentence) and tags-list in each tuple of training_data
for sent, tags in training_data + test_data:
    for word in sent:
        if word not in word_to_ix:  # word has not been assigned an index yet
            word_to_ix[word] = len(word_to_ix)  # Assign each word with a unique index
print(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}  # Assign each tag with a unique index

# These will usually be more like 32 or 64 dimensional.
# We will keep them small, so we can see how the weights change as we train.
EMBEDDING_DIM = 6
HIDDEN_DIM = 6


class LSTMTagger(nn.Module):

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim

        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

        # The LSTM takes word embeddings as inputs, and outputs hidden states
        # with dimensionality hidden_dim.
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)

        # The linear layer that maps from hidden state space to tag space
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)


def evaluate(data):
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for sentence, tags in data:
            inputs = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(inputs)
            total_loss += loss_function(tag_scores, targets).item()
            correct += (tag_scores.argmax(dim=1) == targets).sum().item()
            count += len(tags)
    return total_loss / len(data), correct / count


# See what the scores are before training
# Note that element i,j of the output is the score for tag j for word i.
# Here we don't need to train, so the code is wrapped in torch.no_grad()
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)
first_loss, _ = evaluate(test_data)

for epoch in range(15):  # again, normally you would NOT do 300 epochs, it is toy data
    for sentence, tags in training_data:
        # Step 1. Remember that Pytorch accumulates gradients.
        # We need to clear them out before each instance
        model.zero_grad()

        # Step 2. Get our inputs ready for the network, that is, turn them into
        # Tensors of word indices.
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)

        # Step 3. Run our forward pass.
        tag_scores = model(sentence_in)

        # Step 4. Compute the loss, gradients, and update the parameters by
        #  calling optimizer.step()
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()

# See what the scores are after training
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)

    # The sentence is "the dog ate the apple".  i,j corresponds to score for tag j
    # for word i. The predicted tag is the maximum scoring tag.
    # Here, we can see the predicted sequence below is 0 1 2 0 1
    # since 0 is index of the maximum value of row 1,
    # 1 is the index of maximum value of row 2, etc.
    # Which is DET NOUN VERB DET NOUN, the correct sequence!
    print(tag_scores)

test_loss, accuracy = evaluate(test_data)
print(f'loss {first_loss:.4f} -> {test_loss:.4f}')
print(f'accuracy {accuracy:.4f}')
