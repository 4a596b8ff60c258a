"""An MLP on scikit-learn's bundled digits (8x8 images), the Keras way: compile, fit, evaluate, save.

pip install "glassnet[sklearn]"; python examples/digits.py
"""

import glassnet as gn
from glassnet import data, nn, optim
from glassnet.train import EarlyStopping

gn.manual_seed(0)
x, y = data.load_digits()
x_train, x_test, y_train, y_test = data.train_test_split(x, y, test_size=0.2, stratify=y)
scaler = data.StandardScaler().fit(x_train)  # fitted on the training part only
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

model = nn.Sequential(
    [
        nn.Dense(64, activation="relu"),
        nn.Dropout(0.2),
        nn.Dense(10),
    ],
    input_shape=(64,),
)
model.summary()
model.compile(
    optimizer=optim.Adam(lr=0.002),
    loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    epochs=60,
    batch_size=32,
    validation_split=0.1,
    verbose=0,
    callbacks=[EarlyStopping(patience=5, restore_best_weights=True)],
)
loss, accuracy = model.evaluate(x_test, y_test)
print(f"digits: test accuracy {accuracy:.4f} (loss {loss:.4f}) after {len(model.history.epochs)} epochs")
