# The variational autoencoder of PyTorch's examples: linear encoder and decoder, the
# reparameterisation trick, binary cross-entropy plus the KL term, Adam.
import torch
from torch import nn, optim
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self, features=64, hidden=32, latent=4):
        super(VAE, self).__init__()
        self.features = features
        self.fc1 = nn.Linear(features, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, features)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.features))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, features):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, features), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def main(images, epochs=5):
    torch.manual_seed(1)
    features = images[0].numel()
    model = VAE(features)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loader = torch.utils.data.DataLoader(images, batch_size=32, shuffle=True)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0
        for data in loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar, features)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        history.append(train_loss / len(loader.dataset))
    with torch.no_grad():
        sample = model.decode(torch.randn(8, 4))
    return history, tuple(sample.shape), model.state_dict()
