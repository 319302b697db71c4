"""Names of the demonstration world: who the people are, as their civil registry writes them.

Pure data and draws: every function takes the caller's `random.Random`, so a world is the
same for the same seed. The origin weights are a modelling choice for a synthetic urban
organised-crime caseload, not a statistic; French stays the largest group by far.
Spelling variants and Arabic-script forms are what `emco.demo.noise` uses to write a name
the way another administration would.
"""

import random
import re
from dataclasses import dataclass
from functools import cache

from emco.ingest.normalize import fold


def _pool(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


@dataclass(frozen=True)
class Name:
    first: str
    last: str
    origin: str
    gender: str  # "M" or "F"


ORIGINS: dict[str, float] = {
    "french": 0.42, "maghrebi": 0.24, "west_african": 0.09, "balkan": 0.05, "antillean": 0.04,
    "roma": 0.04, "portuguese": 0.04, "turkish": 0.03, "comorian": 0.03, "vietnamese": 0.02,
}

FIRST_MALE: dict[str, tuple[str, ...]] = {
    "french": _pool("""Jean-Marc, Jean-Pierre, Jean-Luc, Jean-Philippe, Jean-François, Jean-Claude,
        Pierre, Philippe, Michel, Alain, Patrick, Christophe, Stéphane, Laurent, Frédéric, Nicolas,
        Julien, Sébastien, David, Olivier, Thierry, Éric, Pascal, Franck, Ludovic, Cédric, Jérôme,
        Romain, Anthony, Kévin, Dylan, Jordan, Maxime, Thomas, Alexandre, Florian, Mickaël,
        Grégory, Yannick, Guillaume, Vincent, Fabrice, Arnaud, Benoît, Damien, Jonathan, Loïc,
        Teddy, Steve, Lucas, Enzo, Hugo, Mathieu, Bruno, Didier, Gilles, Jérémy, Paul-Henri"""),
    "maghrebi": _pool("""Mohamed, Ahmed, Mustapha, Youssef, Karim, Rachid, Said, Khaled, Nabil,
        Hicham, Abdelkader, Abdallah, Abderrahmane, Abdelaziz, Abdelkrim, Ali, Omar, Hassan,
        Houcine, Brahim, Ismail, Mehdi, Farid, Samir, Sofiane, Bilal, Nassim, Walid, Yacine,
        Amine, Mourad, Djamel, Kamel, Redouane, Hamza, Ayoub, Adel, Tarek, Salim, Driss, Zakaria,
        Hakim, Mounir, Nordine, Fouad, Riad, Belkacem, Lakhdar, Messaoud, Slimane, Ilyes, Bachir,
        Mokrane, Arezki, Mouloud, Idir, Lounes, Yazid, Anis, Rayan, Wassim, Moussa, Larbi, Tahar,
        Othmane, Mohamed Amine, Mohamed Ali"""),
    "west_african": _pool("""Mamadou, Moussa, Ibrahima, Ousmane, Abdoulaye, Amadou, Boubacar,
        Cheikh, Modibo, Seydou, Souleymane, Oumar, Lamine, Alassane, Bakary, Sékou, Issa, Adama,
        Youssouf, Aliou, Sidiki, Idrissa, Karamoko, Mohamed, Babacar, Malick, Pape, Moustapha,
        Samba, Demba, Djibril, Kalidou, Yaya, Dramane, Siaka, Lassana, Tidiane, Fodé, Thierno,
        Alpha, Ismaïla, Serigne, Yao, Kouamé, Serge, Didier, Mohamed Lamine, El Hadji"""),
    "comorian": _pool("""Ahmed, Ali, Said, Mohamed, Abdallah, Mmadi, Soilihi, Houmadi, Youssouf,
        Ibrahim, Hamada, Bacar, Abdou, Attoumani, Fahardine, Nourdine, Chamsoudine, Anziz, Moussa,
        Salim, Issa, Kassim, Halidi, Daoud, Hassani, Boina, Toiwilou"""),
    "balkan": _pool("""Dragan, Goran, Zoran, Milan, Nenad, Dejan, Marko, Nikola, Aleksandar, Srđan,
        Miloš, Bojan, Dušan, Arben, Besnik, Fatmir, Agron, Ilir, Driton, Valon, Ardit, Gentian,
        Artan, Blerim, Bujar, Leutrim, Emir, Adnan, Senad, Mirza, Kenan, Haris, Edin"""),
    "roma": _pool("""Florin, Marian, Ionuț, Costel, Gheorghe, Nicolae, Sorin, Adrian, Cristian,
        Marius, Dorel, Viorel, Fănel, Lucian, Mihai, Vasile, Ion, Petru, Dumitru, Ștefan, Bogdan,
        Alin, Cătălin, Ciprian, Samuel, Constantin"""),
    "portuguese": _pool("""João, José, Manuel, António, Carlos, Paulo, Pedro, Luís, Francisco,
        Joaquim, Fernando, Jorge, Rui, Nuno, Tiago, Ricardo, Miguel, Bruno, Sérgio, Vítor, Hugo,
        Filipe, Mário, Artur, Armando, Alberto, Abílio, Adelino, Américo, Domingos, Fábio, Diogo,
        Gonçalo, Hélder, Joel, Marco, Nélson, Rafael, Telmo, Valter, Vasco, Rúben, Cristiano"""),
    "turkish": _pool("""Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Osman, Yusuf,
        Murat, Ömer, Recep, Kemal, Cengiz, Hakan, Emre, Serkan, Volkan, Burak, Fatih, Erkan,
        Tolga, Selim, Süleyman, Halil, Orhan"""),
    "antillean": _pool("""Rudy, Steeve, Willy, Harry, Lionel, Gérald, Jimmy, Johan, Ruddy, Dimitri,
        Emmanuel, Marius, Patrice, Christian, Jean-Michel, Max, Gilbert, Régis, Joël, Dany,
        Fred, Wilfried, Ludovic, Jean-Claude, Frantz, Eddy"""),
    "vietnamese": _pool("""Minh, Tuấn, Hùng, Dũng, Thanh, Quang, Long, Hải, Nam, Sơn, Đức, Phúc,
        Khánh, Huy, Bảo, Hoàng, Vinh, Cường, Trung, Thắng, Hiếu, Tiến, Văn Minh, Văn Hùng,
        Kevin, Julien"""),
}

FIRST_FEMALE: dict[str, tuple[str, ...]] = {
    "french": _pool("""Marie-Claire, Marie-Christine, Anne-Sophie, Marie-Laure, Nathalie, Sandrine,
        Isabelle, Valérie, Stéphanie, Céline, Aurélie, Émilie, Julie, Laetitia, Virginie, Sophie,
        Catherine, Christine, Sylvie, Véronique, Karine, Audrey, Élodie, Jessica, Mélanie, Laura,
        Manon, Camille, Chloé, Pauline, Marion, Jennifer, Vanessa, Charlotte, Marine, Coralie,
        Cindy"""),
    "maghrebi": _pool("""Fatima, Khadija, Aicha, Malika, Nadia, Samira, Leila, Yasmina, Zineb,
        Amina, Meriem, Naima, Rachida, Karima, Souad, Houria, Salima, Farida, Hafsa, Imane, Sarah,
        Sonia, Nawel, Hanane, Latifa, Zohra, Djamila, Kenza, Soraya, Wafa, Dounia, Loubna, Asma,
        Nesrine, Rania, Lamia, Hayat, Siham, Hind, Kahina, Tassadit, Ourida, Lina, Inès,
        Sabrina"""),
    "west_african": _pool("""Fatoumata, Aminata, Mariam, Aissatou, Kadiatou, Awa, Fanta, Hawa,
        Oumou, Assa, Djeneba, Mariama, Ramatoulaye, Khady, Ndeye, Coumba, Binta, Sokhna, Rokia,
        Salimata, Nafissatou, Bintou, Maimouna, Safiatou, Astou, Adja, Rama, Dieynaba, Korotoumou,
        Sira, Aya, Adjoua, Affoué"""),
    "comorian": _pool("""Fatima, Zaïnaba, Mariama, Hadidja, Echata, Faouzia, Anchata, Nadjma,
        Sitti, Moinaecha, Moinafatima, Zalifa, Hadjira, Amina, Rahma, Saandia, Halima, Mounira,
        Riziki, Chamsia, Nasma"""),
    "balkan": _pool("""Jelena, Milica, Marija, Ivana, Dragana, Snežana, Vesna, Tijana, Sanja, Arta,
        Drita, Fatmire, Valbona, Blerta, Teuta, Mimoza, Besa, Lindita, Vjosa, Albana, Amra, Lejla,
        Selma, Emina, Aida, Amela"""),
    "roma": _pool("""Florina, Maria, Elena, Ana, Ionela, Mirela, Daniela, Rodica, Lenuța, Nicoleta,
        Loredana, Roxana, Sorina, Gabriela, Mariana, Adriana, Denisa, Alina, Ramona, Violeta,
        Lăcrămioara"""),
    "portuguese": _pool("""Maria, Ana, Isabel, Fernanda, Fátima, Rosa, Lurdes, Conceição, Graça,
        Manuela, Teresa, Sandra, Sónia, Paula, Cristina, Susana, Carla, Patrícia, Marta, Joana,
        Inês, Catarina, Sofia, Beatriz, Mariana, Vanessa, Liliana, Daniela, Cátia, Filipa, Helena,
        Adelaide"""),
    "turkish": _pool("""Ayşe, Fatma, Emine, Hatice, Zeynep, Elif, Meryem, Özlem, Sevgi, Hülya,
        Esra, Merve, Büşra, Derya, Gül, Songül, Yasemin, Aysel, Filiz, Nurcan"""),
    "antillean": _pool("""Marie-Josée, Murielle, Nadège, Sandra, Josiane, Gisèle, Maryse, Ketty,
        Cindy, Laurie, Wendy, Christelle, Guylène, Marlène, Lucie, Rose-Marie, Mylène, Sabine,
        Félicia, Line"""),
    "vietnamese": _pool("""Lan, Mai, Hoa, Linh, Hương, Thu, Trang, Ngọc, Hạnh, Phương, Thảo, Nga,
        Thủy, Anh, Yến, Thị Lan, Thị Mai, Hồng, Vy, Sophie"""),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "french": _pool("""Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy,
        Moreau, Simon, Laurent, Lefebvre, Michel, Garcia, Fournier, Lambert, Girard, Bonnet,
        Dupont, Mercier, Rousseau, Blanc, Guérin, Muller, Faure, André, Chevalier, François,
        Legrand, Gauthier, Perrin, Morel, Roussel, Fontaine, Lemaire, Masson, Marchand, Duval,
        Denis, Lefèvre, Boyer, Clément, Lacroix, Vidal, Barbier, Giraud, Roux, Colin, Caron,
        Picard, Renard, Aubert, Schmitt, Meyer, Lopez, Martinez, Fernandez, Sanchez, Le Goff,
        Le Gall, Le Roux, Le Bihan, Le Floch, de la Fontaine, du Plessis, Saint-Jean, Santoni,
        Colonna, Mattei, Filippi, Casanova, Orsoni, Leca, Albertini, Guidicelli"""),
    "maghrebi": _pool("""Ben Ali, Belkacem, El Amrani, Amrani, Bouzid, Benyoucef, Ben Youssef,
        Mansouri, Haddad, Saidi, Benamar, Boumediene, Belhadj, Cherif, Hamidi, Brahimi, Bouazza,
        Meziane, Khelifi, Ziani, Rahmani, Ait Ouali, Ait Ahmed, Ait Kaci, Bensaid, Benmoussa,
        Chaoui, Alaoui, El Idrissi, Tazi, Bennani, Berrada, El Fassi, Ouazzani, Lahlou, Filali,
        Bouchareb, Benabdallah, Zerrouki, Messaoudi, Kaddour, Slimani, Tahiri, Djebbar, Yahiaoui,
        Benkhaled, Mahjoub, Bakri, Gharbi, Trabelsi, Jebali, Ayari, Hammami, Bouaziz, Ben Salah,
        Dridi, Sassi, Zidane, Belaid, Boudiaf, Hamdi, Kaci, Lounis, Amara, Abdelli, Benhamou,
        Bensalem, Boukhari, El Khatib, Hadjadj, Amokrane"""),
    "west_african": _pool("""Diallo, Touré, Traoré, Keïta, Coulibaly, Konaté, Cissé, Sylla, Ndiaye,
        Diop, Fofana, Camara, Kaba, Sow, Ba, Barry, Kanté, Sangaré, Doumbia, Diakité, Dembélé,
        Sissoko, Mbaye, Ndour, Gueye, Fall, Diarra, Sakho, Soumaré, Kouyaté, Bamba, Tall, Sarr,
        Faye, Seck, Ndao, Diouf, Thiam, Kane, Niang, Dia, Sy, Wade, Diagne, Samaké, Koné,
        Ouattara, Kouassi, Kouadio, Koffi, Konan, Bakayoko, Sanogo, Dao, Sidibé, Magassa,
        Doucouré, Tandia, Soumah, Condé, Bangoura, Baldé, Diaby, Dramé, Tounkara"""),
    "comorian": _pool("""Soilihi, Mmadi, Houmadi, Attoumani, Ahamada, Assoumani, Combo, Mze,
        Hamada, Chanfi, Boina, Abdou, Msa, Mroivili, Abdérémane, Soidiki, Toybou, Youssouf, Bacar,
        Said, Abdallah, Ali, Ahmed, Mohamed, Salim, Halidi, Ibouroi, Mohadji, Saandi, Said Omar,
        Ali Mbae"""),
    "balkan": _pool("""Jovanović, Petrović, Nikolić, Marković, Đorđević, Stojanović, Ilić,
        Stanković, Pavlović, Popović, Kovačević, Todorović, Ristić, Mitrović, Krasniqi, Berisha,
        Gashi, Morina, Shala, Hoxha, Kelmendi, Bytyqi, Hasani, Rexhepi, Kastrati, Dervishi, Leka,
        Thaçi, Osmani, Gjoka, Ahmeti, Hodžić, Hadžić, Begić, Delić, Mehmedović, Hasanović"""),
    "roma": _pool("""Stoica, Dumitru, Constantin, Lingurar, Căldăraru, Ciurar, Rostaș, Lăcătuș,
        Dincă, Stanciu, Radu, Dobre, Neagu, Tudor, Marin, Zamfir, Ciobanu, Florea, Lăutaru, Ursu,
        Mihai, Stan, Covaci, Spoitoru, Gabor, Linguraru, Oprea, Vasile, Năstase, Bălan"""),
    "portuguese": _pool("""Da Silva, Dos Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues,
        Martins, Jesus, Sousa, Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida,
        Ribeiro, Pinto, Carvalho, Teixeira, Moreira, Correia, Mendes, Nunes, Soares, Vieira,
        Monteiro, Cardoso, Rocha, Neves, Coelho, Cruz, Cunha, Pires, Ramos, Reis, Simões, Antunes,
        Matos, Fonseca, Machado, Araújo, Barbosa, Tavares, Lourenço, Castro, Figueiredo,
        Azevedo, Freitas, Baptista, Campos, Magalhães, Henriques, Sampaio, Leite, Vaz, Guerreiro,
        Domingues, De Oliveira, Da Costa, Dos Reis, Da Cunha, De Sousa, Do Nascimento"""),
    "turkish": _pool("""Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,
        Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Şimşek, Polat, Korkmaz, Erdoğan,
        Güneş, Aksoy, Tekin, Bulut, Keskin, Avcı, Kaplan"""),
    "antillean": _pool("""Jean-Baptiste, Jean-Louis, Louisy, Marie-Sainte, Saint-Louis, Félicité,
        Joseph, Lubin, Alexis, Bellance, Zébina, Céleste, Lamon, Théodose, Valentin, Agathe,
        Edmond, Désir, Sylvestre, Bellemare, Nestor, Ambroise, Charlery, Placide, Constant,
        Délice, Rosine, Vital, Toussaint, Jean-Pierre, Clairville"""),
    "vietnamese": _pool("""Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ,
        Ngô, Dương, Lý, Đinh, Lâm, Trương, Mai, Tô, Cao, Lưu, Tạ, Châu, Quách, Thái, Lương, Đoàn,
        Tăng"""),
}

# ISO 3166 alpha-2 codes, weighted: many are French-born, others keep their parents' country.
_NATIONALITIES: dict[str, dict[str, float]] = {
    "french": {"FR": 0.97, "BE": 0.01, "CH": 0.01, "IT": 0.01},
    "maghrebi": {"FR": 0.55, "DZ": 0.2, "MA": 0.17, "TN": 0.08},
    "west_african": {"FR": 0.35, "SN": 0.2, "ML": 0.2, "CI": 0.12, "GN": 0.08, "MR": 0.05},
    "comorian": {"FR": 0.6, "KM": 0.4},
    "balkan": {"RS": 0.25, "XK": 0.25, "AL": 0.25, "BA": 0.1, "MK": 0.05, "FR": 0.1},
    "roma": {"RO": 0.65, "BG": 0.1, "RS": 0.05, "FR": 0.2},
    "portuguese": {"PT": 0.45, "FR": 0.45, "CV": 0.05, "BR": 0.05},
    "turkish": {"TR": 0.5, "FR": 0.5},
    "antillean": {"FR": 0.92, "HT": 0.08},
    "vietnamese": {"FR": 0.6, "VN": 0.4},
}

# Cities as a French file writes them (French exonyms: Alger, Bucarest, Lisbonne).
_CITIES: dict[str, tuple[str, ...]] = {
    "FR": _pool("""Marseille, Paris, Lyon, Lille, Toulouse, Nice, Grenoble, Saint-Denis, Créteil,
        Bobigny, Roubaix, Montpellier, Nantes, Strasbourg, Bordeaux, Aulnay-sous-Bois, Sevran,
        Nîmes, Avignon, Perpignan, Mulhouse, Villeurbanne, Vénissieux, Argenteuil,
        Mantes-la-Jolie, Montreuil, Tourcoing, Toulon, Rennes, Reims"""),
    "DZ": _pool("""Alger, Oran, Constantine, Annaba, Sétif, Tizi Ouzou, Béjaïa, Tlemcen, Blida,
        Batna"""),
    "MA": _pool("Casablanca, Rabat, Fès, Marrakech, Tanger, Oujda, Nador, Meknès, Agadir, Tétouan"),
    "TN": _pool("Tunis, Sfax, Sousse, Bizerte, Gabès, Kairouan, Monastir"),
    "SN": _pool("Dakar, Thiès, Saint-Louis, Kaolack, Ziguinchor, Touba"),
    "ML": _pool("Bamako, Kayes, Ségou, Sikasso, Mopti"),
    "CI": _pool("Abidjan, Bouaké, Yamoussoukro, Daloa, San-Pédro"),
    "GN": _pool("Conakry, Kankan, Labé, Kindia"),
    "MR": _pool("Nouakchott, Nouadhibou, Kaédi"),
    "KM": _pool("Moroni, Mutsamudu, Fomboni, Mitsamiouli"),
    "RS": _pool("Belgrade, Novi Sad, Niš, Kragujevac"),
    "XK": _pool("Pristina, Prizren, Peja, Mitrovica, Gjakova"),
    "AL": _pool("Tirana, Durrës, Shkodër, Vlorë, Elbasan"),
    "BA": _pool("Sarajevo, Tuzla, Zenica, Mostar, Banja Luka"),
    "MK": _pool("Skopje, Tetovo, Kumanovo"),
    "RO": _pool("Bucarest, Constanța, Craiova, Timișoara, Iași, Cluj-Napoca, Galați, Buzău"),
    "BG": _pool("Sofia, Plovdiv, Varna, Sliven"),
    "PT": _pool("Lisbonne, Porto, Braga, Coimbra, Viseu, Guimarães, Chaves, Bragança, Leiria"),
    "CV": _pool("Praia, Mindelo"),
    "BR": _pool("São Paulo, Rio de Janeiro, Belo Horizonte"),
    "TR": _pool("Istanbul, Ankara, Izmir, Konya, Kayseri, Gaziantep, Yozgat, Sivas, Trabzon"),
    "HT": _pool("Port-au-Prince, Cap-Haïtien, Les Cayes, Jacmel"),
    "VN": _pool("Hô Chi Minh-Ville, Hanoï, Haiphong, Da Nang, Hué"),
    "BE": _pool("Bruxelles, Liège, Charleroi"),
    "CH": _pool("Genève, Lausanne"),
    "IT": _pool("Naples, Turin, Gênes"),
}
# French-born people of these origins are mostly born overseas, in France all the same.
_OVERSEAS: dict[str, tuple[tuple[str, ...], float]] = {
    "antillean": (_pool("""Fort-de-France, Pointe-à-Pitre, Les Abymes, Le Lamentin, Cayenne,
        Basse-Terre, Schœlcher, Le Gosier, Baie-Mahault"""), 0.75),
    "comorian": (_pool("Mamoudzou, Koungou, Dzaoudzi"), 0.35),
}

# The spellings French administrations use for one name, separated by "/"; names by ";".
# A spelling is in one group only: a Senegalese Ibrahima is never rewritten as a Kabyle Brahim.
_VARIANT_GROUPS = """
Mohamed / Mohammed / Muhammad / Mohammad / Mhamed / Mohamad / Mouhamed
Ahmed / Ahmad / Ahmet / Hmed; Mustapha / Mustafa / Moustapha / Mostefa / Mostafa
Youssef / Youcef / Yousef / Yusuf / Youssouf / Yousouf
Abdelkader / Abdulkadir / Abd el Kader / Abdelkhader / Abdel Kader / Abdelkadir
Abdallah / Abdellah / Abdullah / Abd Allah / Abdala
Abderrahmane / Abderahmane / Abdurrahman / Abdel Rahman / Abderrahman
Abdelaziz / Abdul Aziz / Abd el Aziz / Abdelazize
Abdelkrim / Abdelkarim / Abdulkarim / Abd el Krim; Belkacem / Belgacem / Belkasem / Belkassem
Said / Saïd / Saeed; Rachid / Rashid / Rachide / Rached; Khaled / Khalid / Khaleed / Halid
Hichem / Hicham / Hisham / Hishem; Karim / Kareem / Carim / Kerim; Nabil / Nabile / Nabeel
Brahim / Ibrahim / Brahime / Ebrahim / İbrahim; Ismail / Smail / Ismaël / Ismaïl / Ismael / İsmail
Hassan / Hasan / Hacène / Hacen; Houcine / Hocine / Hussein / Hussain / Hossein / Houssine
Djamel / Jamel / Jamal / Djamal; Kamel / Kamal
Redouane / Redwane / Ridouane / Ridwan / Rédouane / Radouane; Yacine / Yassine / Yassin / Yasin
Amine / Amin; Mourad / Murad / Morad; Omar / Umar; Othmane / Otmane / Athmane / Outhmane / Usman
Moussa / Musa / Mousa; Yahia / Yahya / Yehia / Yahiya; Tarek / Tariq / Tarik / Tareq
Zakaria / Zakariya / Zakariyya / Zakariae / Zacharia
Nordine / Noureddine / Nourredine / Nour-Eddine / Nour Eddine / Noredine / Nourdine
Fouad / Fuad / Fouade; Riad / Riyad / Ryad / Riyadh; Ilyes / Ilyas / Ilias / Ilies / Lyes
Bachir / Bechir / Bashir / Béchir; Mehdi / Mahdi / Mehdy
Sofiane / Soufiane / Sufyan / Sofian / Soufyane; Hamza / Hamsa / Hamzah; Ayoub / Ayub / Ayoube
Messaoud / Massoud / Masoud / Messaud; Slimane / Sliman / Suleiman / Soulaimane / Sulayman
Driss / Idriss / Idris; Tahar / Taher / Tahir; Lakhdar / Lakdar / Lakhdhar / Lakhedar
Larbi / Larby / El Arbi / Elarbi; Wassim / Ouassim / Wasim; Walid / Oualid / Waleed
Mounir / Mounire / Munir; Anis / Aniss / Anes; Salim / Selim / Saleem; Adel / Adil; Samir / Sameer
Nassim / Nacim / Nasim; Farid / Fareed / Faride; Hakim / Hakeem / Hakime; Aziz / Azziz / Azeez
Fatima / Fatma / Fatimah / Fadma; Aicha / Aïcha / Aisha / Aïsha / Aycha
Khadija / Khadidja / Kadidja / Khedidja / Hadidja
Meriem / Myriam / Maryam / Mariam / Meryem / Meriam; Zineb / Zaynab / Zeinab / Zainab / Zinab
Leila / Leïla / Laila / Layla / Leyla; Naima / Naïma / Neima
Yasmina / Yasmine / Yassmina / Jasmina; Amina / Aminah / Ameena; Djamila / Jamila / Djemila
Nawel / Nawal / Naouel; Houria / Hourya / Houriya; Zohra / Zahra / Zehra / Zohrah
Soraya / Thouraya / Sorraya / Thuraya; Imane / Imen / Iman / Imène; Hanane / Hanan / Hanene
Siham / Sihem / Seham; Samira / Sameera; Souad / Souade / Suad; Karima / Kareema
Rachida / Rashida; Salima / Selima / Saleema; Lamia / Lamya / Lamiaa; Asma / Asmaa / Esma
Nesrine / Nesrin / Nisrine / Nasrine; Hayat / Hayet; Wafa / Wafae / Ouafa; Dounia / Dunya / Donia
Loubna / Lubna; Mehmet / Mehmed; Hüseyin / Huseyin / Husseyin; Ömer / Omer / Oemer
Süleyman / Suleyman / Souleyman; Kemal / Kémal; Murat / Mourat; Recep / Redjep / Recip
Cengiz / Djenghiz / Cenghiz; Emine / Eminé; Ayşe / Ayse / Aiche; Hatice / Hatidje / Hatije
Zeynep / Zeyneb; Yılmaz / Yilmaz / Yilmas; Öztürk / Ozturk / Oeztuerk; Çelik / Celik / Tchelik
Şahin / Sahin / Chahin; Doğan / Dogan / Doan; Kılıç / Kilic / Kilitch
Özdemir / Ozdemir / Oezdemir; Arslan / Aslan; Koç / Koc / Kotch
Mamadou / Mamoudou / Mahamadou / Mamadu; Ousmane / Usmane / Osmane / Ousman
Oumar / Umaru / Oumarou; Souleymane / Souleimane / Suleymane
Abdoulaye / Abdoulay / Abdullahi / Abdoulahi; Ibrahima / Ibrahimah / Brahima
Boubacar / Aboubacar / Aboubakar / Boubakar; Cheikh / Cheick / Cheikhou / Sheikh
Seydou / Seidou / Saidou; Alassane / Alhassane / Al Hassane; Amadou / Ahmadou / Hamadou
Idrissa / Drissa / Idrisa; Djibril / Jibril / Djibrill; Sékou / Sekou / Sekouba
Fatoumata / Fatimata / Fatoumatta / Fatumata; Aminata / Aminatou / Aminatta
Aissatou / Aïssatou / Aichatou / Aïssata; Mariama / Maryama / Mariyama
Kadiatou / Kadidiatou / Khadiatou; Ramatoulaye / Ramatoulay / Ramatulaye
Maimouna / Maïmouna / Maymouna; Diallo / Dialo / Jallow; Touré / Toure / Ture
Traoré / Traore / Trahore; Keïta / Keita / Kéita; Coulibaly / Kulibali / Koulibaly
Cissé / Cisse / Sissé / Sisse; Sylla / Silla / Sila; Ndiaye / N'Diaye / Njie / N Diaye
Diop / Diope; Fofana / Fofanah; Camara / Kamara; Sow / Sowe; Ba / Bah / Baa
Sangaré / Sangare / Sangary; Diakité / Diakite / Jakite; Sissoko / Sisoko / Cissoko
Mbaye / M'Baye / Mbay; Gueye / Guèye / Gaye; Diarra / Jarra / Diara; Sakho / Sako / Sacko
Kouyaté / Kouyate / Kuyateh; Doumbia / Dumbia / Doumbya
Benyoucef / Benyoussef / Ben Youssef / Ben Youcef
Boumediene / Boumedienne / Boumedien / Boumédiène; Mansouri / Mansoury / Manssouri / El Mansouri
Haddad / Hadad / Haddade; Saidi / Saïdi / Saaidi / Essaidi; Cherif / Chérif / Sherif / Chrif
Brahimi / Ibrahimi / Brahmi; Khelifi / Khalifi / Khelify; Messaoudi / Massoudi / Messaoudy
Kaddour / Kadour / Qaddour; Chaoui / Chaouy / Echaoui; Hamidi / Hamidy / Hmidi
Belhadj / Belhaj / Bel Hadj; Alaoui / El Alaoui / Alaouï; El Idrissi / Idrissi / Idrisi / Drissi
Bouazza / Bouaza / Bou Azza; Meziane / Mezian / Mezziane; Trabelsi / Trabelssi / Tarabulsi
Hammami / Hamami / Hemmami; Benmoussa / Ben Moussa / Benmousa; Zerrouki / Zerouki / Zarrouki
Djebbar / Jebbar / Djabbar; Yahiaoui / Yahyaoui / Yahiaouï; Mahjoub / Mahdjoub / Mahjub
Gharbi / Gherbi; Jebali / Djebali / Jbali; Ayari / Aiari / Ayyari; Bouaziz / Bou Aziz / Bouazziz
Ben Salah / Bensalah / Ben Saleh; Belaid / Belaïd / Bel Aid; Boudiaf / Boudhiaf
Lounis / Lounes / Louniss; Kaci / Kassi / Qasi; Benhamou / Ben Hamou / Benhammou
Bensalem / Ben Salem / Bensalim; Boukhari / Bokhari / El Boukhari; El Khatib / Khatib / El Khattib
Hadjadj / Hajjaj / Hadjaj; Tahiri / Taheri / Tahri; Soilihi / Soilih / Swalihi
Mmadi / M'Madi / Madi; Houmadi / Humadi / Houmady; Attoumani / Athoumani / Atoumani
Ahamada / Ahmada; Assoumani / Assoumany; Abdérémane / Abderemane / Abdourahamane
Đorđević / Djordjević / Djordjevic / Dordevic / Georgevitch; Hoxha / Hodja / Hoxa
Thaçi / Thaci / Thachi; Bytyqi / Bytyçi / Bytyci; Krasniqi / Krasniçi / Krasnici; Gashi / Gachi
Miloš / Milos / Milosh; Dušan / Dusan / Douchan; Srđan / Srdjan / Srdan
Snežana / Snezana / Snejana; Ștefan / Ştefan / Stefan; Ionuț / Ionuţ / Ionut
Lăcătuș / Lacatus / Lakatos; Căldăraru / Caldararu / Kaldararu; Rostaș / Rostas / Rostash
Gheorghe / Gheorge / Georghe; Nicolae / Nicolai / Nicolaie; Vasile / Vassile / Vasili
Dumitru / Dumitrou / Dimitru; Sousa / Souza; Baptista / Batista
Magalhães / Magalhaes / Magalhaens; Gonçalves / Goncalves / Gonsalves; Simões / Simoes / Simoens
João / Joao; Luís / Luis; Conceição / Conceicao / Conceiçao; Araújo / Araujo
Nguyễn / Nguyen / Nguyên; Mickaël / Michaël / Mickael / Mikaël / Michael
Anthony / Antony / Antoni; Grégory / Grégori / Gregory; Jérémy / Jérémie / Jeremy
Kévin / Kevin / Kévyn; Steve / Steeve / Stève; Laetitia / Lætitia / Laëtitia / Létitia
Stéphanie / Stefanie / Stéphany; Nathalie / Natalie / Nathaly; Karine / Carine / Karyne
Cindy / Sindy / Cyndie; Mathieu / Matthieu; Franck / Frank; Yannick / Yanick / Yannik
Loïc / Loic / Loick; Rudy / Ruddy / Rudi; Dany / Danny / Dani
"""

# Arabic script as the Algerian, Moroccan and Tunisian civil registries write the name.
ARABIC: dict[str, str] = {
    "Mohamed": "محمد", "Ahmed": "أحمد", "Mustapha": "مصطفى", "Youssef": "يوسف",
    "Karim": "كريم", "Rachid": "رشيد", "Said": "سعيد", "Khaled": "خالد", "Nabil": "نبيل",
    "Hicham": "هشام", "Abdelkader": "عبد القادر", "Abdallah": "عبد الله",
    "Abderrahmane": "عبد الرحمن", "Abdelaziz": "عبد العزيز", "Abdelkrim": "عبد الكريم",
    "Ali": "علي", "Omar": "عمر", "Hassan": "حسن", "Houcine": "حسين", "Brahim": "إبراهيم",
    "Ismail": "إسماعيل", "Mehdi": "مهدي", "Farid": "فريد", "Samir": "سمير", "Sofiane": "سفيان",
    "Bilal": "بلال", "Nassim": "نسيم", "Walid": "وليد", "Yacine": "ياسين", "Amine": "أمين",
    "Mourad": "مراد", "Djamel": "جمال", "Kamel": "كمال", "Redouane": "رضوان", "Hamza": "حمزة",
    "Ayoub": "أيوب", "Adel": "عادل", "Tarek": "طارق", "Salim": "سليم", "Driss": "إدريس",
    "Zakaria": "زكريا", "Hakim": "حكيم", "Mounir": "منير", "Nordine": "نور الدين",
    "Fouad": "فؤاد", "Riad": "رياض", "Belkacem": "بلقاسم", "Lakhdar": "لخضر",
    "Messaoud": "مسعود", "Slimane": "سليمان", "Ilyes": "إلياس", "Bachir": "بشير",
    "Moussa": "موسى", "Larbi": "العربي", "Tahar": "الطاهر", "Othmane": "عثمان",
    "Yazid": "يزيد", "Anis": "أنيس", "Rayan": "ريان", "Wassim": "وسيم", "Yahia": "يحيى",
    "Mokrane": "مقران", "Mouloud": "مولود", "Arezki": "أرزقي", "Aziz": "عزيز",
    "Fatima": "فاطمة", "Khadija": "خديجة", "Aicha": "عائشة", "Malika": "مليكة",
    "Nadia": "نادية", "Samira": "سميرة", "Leila": "ليلى", "Yasmina": "ياسمينة", "Zineb": "زينب",
    "Amina": "أمينة", "Meriem": "مريم", "Naima": "نعيمة", "Rachida": "رشيدة", "Karima": "كريمة",
    "Souad": "سعاد", "Houria": "حورية", "Salima": "سليمة", "Farida": "فريدة", "Hafsa": "حفصة",
    "Imane": "إيمان", "Sarah": "سارة", "Nawel": "نوال", "Hanane": "حنان", "Latifa": "لطيفة",
    "Zohra": "زهرة", "Djamila": "جميلة", "Kenza": "كنزة", "Soraya": "ثريا", "Wafa": "وفاء",
    "Dounia": "دنيا", "Loubna": "لبنى", "Asma": "أسماء", "Nesrine": "نسرين", "Rania": "رانيا",
    "Lamia": "لمياء", "Hayat": "حياة", "Siham": "سهام", "Hind": "هند", "Kahina": "كاهينة",
    "Lina": "لينا",
    "Ben Ali": "بن علي", "El Amrani": "العمراني", "Amrani": "عمراني", "Bouzid": "بوزيد",
    "Benyoucef": "بن يوسف", "Mansouri": "منصوري", "Haddad": "حداد", "Saidi": "سعيدي",
    "Benamar": "بن عمر", "Boumediene": "بومدين", "Belhadj": "بلحاج", "Cherif": "شريف",
    "Hamidi": "حميدي", "Brahimi": "براهيمي", "Bouazza": "بوعزة", "Meziane": "مزيان",
    "Khelifi": "خليفي", "Ziani": "زياني", "Rahmani": "رحماني", "Bensaid": "بن سعيد",
    "Benmoussa": "بن موسى", "Chaoui": "الشاوي", "Alaoui": "العلوي", "El Idrissi": "الإدريسي",
    "Tazi": "التازي", "Bennani": "بناني", "Berrada": "برادة", "El Fassi": "الفاسي",
    "Ouazzani": "الوزاني", "Lahlou": "لحلو", "Filali": "الفيلالي", "Bouchareb": "بوشارب",
    "Benabdallah": "بن عبد الله", "Zerrouki": "زروقي", "Messaoudi": "مسعودي",
    "Kaddour": "قدور", "Slimani": "سليماني", "Tahiri": "الطاهري", "Djebbar": "جبار",
    "Yahiaoui": "يحياوي", "Benkhaled": "بن خالد", "Mahjoub": "محجوب", "Bakri": "بكري",
    "Gharbi": "الغربي", "Trabelsi": "الطرابلسي", "Jebali": "الجبالي", "Ayari": "العياري",
    "Hammami": "الحمامي", "Bouaziz": "بوعزيز", "Ben Salah": "بن صالح", "Dridi": "الدريدي",
    "Sassi": "ساسي", "Zidane": "زيدان", "Belaid": "بلعيد", "Boudiaf": "بوضياف",
    "Hamdi": "حمدي", "Lounis": "لونيس", "Amara": "عمارة", "Abdelli": "عبدلي",
    "Benhamou": "بن حمو", "Bensalem": "بن سالم", "Boukhari": "البخاري", "El Khatib": "الخطيب",
    "Hadjadj": "حجاج", "Kaci": "قاسي", "Ait Ahmed": "آيت أحمد",
}


def _key(part: str) -> str:
    """The lookup form of a name part: folded, without spaces ("Ben-Ali" is "benali")."""
    return fold(part).replace(" ", "")


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    return {_key(spelling): group for group in variant_groups() for spelling in group}


@cache
def _arabic() -> dict[str, str]:
    return {_key(latin): arabic for latin, arabic in ARABIC.items()}


def variant_groups() -> list[tuple[str, ...]]:
    """Every group of spellings of one name, in table order."""
    return [tuple(s.strip() for s in group.split("/"))
            for group in _VARIANT_GROUPS.replace("\n", ";").split(";") if group.strip()]


_SERBIAN_IC = re.compile(r"ić$")


def spelling_variants(part: str) -> list[str]:
    """Other spellings of one name part (not `part` itself); empty when none is known.

    Looked up case- and accent-blind; Serbo-Croatian surnames in -ić also get the forms
    -ic, -itch and -ich of French files.
    """
    group = _groups().get(_key(part))
    if group is not None:
        return [s for s in group if s.lower() != part.lower()]
    if _SERBIAN_IC.search(part) and len(part) > 4:
        stem = fold(part[:-2]).capitalize()
        return [v for v in (stem + "ic", stem + "itch", stem + "ich") if v != part]
    return []


def arabic_script(part: str) -> str | None:
    """The Arabic-script form of a Maghrebi name part, from any of its Latin spellings."""
    table = _arabic()
    found = table.get(_key(part))
    if found is not None:
        return found
    for spelling in _groups().get(_key(part), ()):
        found = table.get(_key(spelling))
        if found is not None:
            return found
    return None


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def draw_origin(rng: random.Random) -> str:
    """An origin drawn with the `ORIGINS` weights."""
    return _weighted(rng, ORIGINS)


def first_names(origin: str, gender: str) -> tuple[str, ...]:
    return (FIRST_MALE if gender == "M" else FIRST_FEMALE)[origin]


def draw_name(rng: random.Random, origin: str, gender: str) -> Name:
    """A first name and surname of `origin`; `gender` is "M" or "F"."""
    if gender not in ("M", "F"):
        raise ValueError(f"gender is M or F, not {gender!r}")
    first = rng.choice(first_names(origin, gender))
    return Name(first, rng.choice(SURNAMES[origin]), origin, gender)


def draw_relative(rng: random.Random, name: Name, gender: str) -> Name:
    """A sibling, child or parent of `name`: same surname and origin, another first name."""
    pool = [f for f in first_names(name.origin, gender) if f != name.first]
    return Name(rng.choice(pool), name.last, name.origin, gender)


def nationality(rng: random.Random, origin: str) -> str:
    """An ISO 3166 alpha-2 nationality for a person of `origin` living in France."""
    return _weighted(rng, _NATIONALITIES[origin])


def birthplace(rng: random.Random, origin: str, nationality: str) -> str:
    """A birth city: French for most French nationals, else in the country of nationality.

    Some French nationals of foreign origin were born abroad (naturalised), so the city
    can be in the origin's country even when `nationality` is "FR".
    """
    if nationality != "FR":
        return rng.choice(_CITIES.get(nationality, _CITIES["FR"]))
    if origin in _OVERSEAS:
        cities, share = _OVERSEAS[origin]
        if rng.random() < share:
            return rng.choice(cities)
    abroad = [c for c in _NATIONALITIES[origin] if c != "FR"]
    if origin != "french" and abroad and rng.random() < 0.2:
        return rng.choice(_CITIES[rng.choice(abroad)])
    return rng.choice(_CITIES["FR"])


# Street names: the usual short forms of a first name, then epithets.
_SHORT: dict[str, tuple[str, ...]] = {
    "mohamed": ("Momo", "Moha", "Hamou"), "abdelkader": ("Kader",), "karim": ("Krimo", "Kiki"),
    "abdelkrim": ("Krimo",), "mustapha": ("Mouss", "Stof"), "youssef": ("Youss", "Jo"),
    "brahim": ("Bibi",), "abderrahmane": ("Abdou",), "rachid": ("Rach",), "nordine": ("Nono",),
    "sofiane": ("Sof",), "yacine": ("Yass",), "ismail": ("Smaïl", "Isma"), "moussa": ("Mouss",),
    "mamadou": ("Madou", "Mams"), "abdoulaye": ("Laye", "Abdou"), "boubacar": ("Bouba",),
    "ibrahima": ("Ibou",), "souleymane": ("Soul",), "fatoumata": ("Fatou", "Fanta"),
    "aminata": ("Mimi",), "christophe": ("Tof", "Totof"), "sebastien": ("Seb",),
    "nicolas": ("Nico",), "alexandre": ("Alex",), "frederic": ("Fred",), "anthony": ("Tony",),
    "stephane": ("Steph",), "gregory": ("Greg",), "guillaume": ("Guigui",), "jerome": ("Jéjé",),
    "jean-marc": ("JM",), "jean-pierre": ("JP", "Jeannot"), "jean-claude": ("JC",),
    "jonathan": ("Jo", "Jojo"), "mathieu": ("Matt",), "maxime": ("Max",), "thomas": ("Tom",),
    "patrick": ("Pat",), "philippe": ("Phil", "Fifi"), "michel": ("Michou",), "joao": ("Jojo",),
    "jose": ("Zé",), "antonio": ("Tonio", "Toni"), "manuel": ("Manu",), "francisco": ("Chico",),
    "fernando": ("Nando",), "aleksandar": ("Aco", "Sacha"), "gheorghe": ("Gigi", "Ghiță"),
    "constantin": ("Costel", "Costi"), "mehmet": ("Memo",), "florin": ("Flo",),
    "mmadi": ("Madi",), "emmanuel": ("Manu",), "dimitri": ("Dim",),
}
_EPITHETS_M = _pool("""le Chat, le Gros, le Grand, le Petit, le Blond, le Roux, le Fou, le Vieux,
    le Boss, le Banquier, le Comptable, le Docteur, le Prof, le Sorcier, le Requin, le Loup,
    le Rat, le Marseillais, le Parisien, le Belge, l'Ancien, le Chauve, le Balafré, le Borgne,
    la Fouine, la Guêpe, Pitbull, Rambo, Scarface, Tonton, Pépé, Bebé, Tito, Ninja, Tyson,
    Zorro, Bouboule, Gamin, Titi, Fantôme""")
_EPITHETS_F = _pool("""la Blonde, la Brune, la Rousse, la Reine, la Mama, la Patronne, la Petite,
    la Grande, Mimi, Nana, Princesse, Bebé, la Tata, la Lionne""")
_UNFORTUNATE = frozenset({"pipi", "zizi", "cucu", "pupu", "cucul"})


def _derived(first: str) -> str | None:
    """A nickname made from the first name: Momo, Jojo, Fifi, or a short cut (Nico, Mari)."""
    word = _first_word(first)
    # Only a consonant and o, i, u or é doubled: Papa, Mama or Caca would not be nicknames.
    match = re.match(r"[bcdfgjklmnprstvz][oiuéOIUÉ]", word[:2], re.IGNORECASE)
    if match and len(word) > 3:
        doubled = (match.group().lower() * 2).capitalize()
        if doubled.lower() not in _UNFORTUNATE:
            return doubled
    # A cut before the second syllable's consonant: Nicolas "Nico", Marius "Mari".
    cut = re.match(r"[^aeiouy][aeiouy][^aeiouy][aeiouy]", fold(word))
    return word[:4] if cut and len(word) > 5 else None


def nickname(rng: random.Random, name: Name) -> str:
    """A street nickname: a short form of the first name, an epithet, or both."""
    shorts = list(_SHORT.get(fold(name.first).replace(" ", "-"), ()))
    derived = _derived(name.first)
    if derived:
        shorts.append(derived)
    epithets = _EPITHETS_M if name.gender == "M" else _EPITHETS_F
    roll = rng.random()
    if shorts and roll < 0.5:
        return rng.choice(shorts)
    if shorts and roll < 0.65:  # Momo le Gros
        with_article = [e for e in epithets if e[:2] in ("le", "la", "l'")]
        return f"{rng.choice(shorts)} {rng.choice(with_article)}"
    if roll < 0.75:  # Petit Karim, Grande Awa
        size = ("Petit" if rng.random() < 0.6 else "Grand") + ("e" if name.gender == "F" else "")
        return f"{size} {rng.choice(shorts) if shorts else _first_word(name.first)}"
    epithet = rng.choice(epithets)
    return epithet[0].upper() + epithet[1:] if rng.random() < 0.3 else epithet


def _first_word(first: str) -> str:
    return re.split(r"[- ]", first)[0]
